using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Lime.Server;
using Lime.Server.Storage.Postgres;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Lime.Tests;

/// <summary>
/// The deployment files no machine here can run (no Docker engine): docker-compose.yml and scripts/cluster.sh (the
/// runnable reference) agree on what makes a cluster work, the container health check answers like /readyz, and a
/// node waits for a PostgreSQL that is not up yet instead of exiting.
/// </summary>
public sealed partial class DeploymentTests
{
    internal static readonly string Root = RepoRoot();

    private static readonly string[] Nodes = ["lime1", "lime2", "lime3"];

    [Fact]
    public void Compose_and_cluster_sh_name_the_same_synchronous_standby_and_its_application_name_reaches_postgresql_auto_conf()
    {
        // compose: the primary's synchronous_standby_names (set by its init script, never on the command line: the
        // image's initialisation would wait for a standby that cannot connect yet) names the standby's STANDBY_NAME,
        // and the standby script writes that application_name into postgresql.auto.conf, which wins over -R's line.
        var services = Services(Compose());
        string command = Scalar(services["primary"], "command");
        Assert.DoesNotContain("synchronous_standby_names", command);
        Assert.Contains("synchronous_commit=on", command);
        Assert.Contains(Scalars(services["primary"], "volumes"), v => v.StartsWith("./scripts/docker/primary-init.sql:/docker-entrypoint-initdb.d/", StringComparison.Ordinal));
        string composeSync = SyncStandby(File.ReadAllText(Path.Combine(Root, "scripts", "docker", "primary-init.sql")));
        var standbyEnv = Environment(services["standby"]);
        Assert.Equal(composeSync, standbyEnv["STANDBY_NAME"]);

        string standbyScript = File.ReadAllText(Path.Combine(Root, "scripts", "docker", "standby.sh"));
        var appended = AutoConfAppend().Match(standbyScript);
        Assert.True(appended.Success, "standby.sh must append its settings to $PGDATA/postgresql.auto.conf");
        Assert.Matches(@"primary_conninfo = '[^']*application_name=\$STANDBY_NAME'", appended.Groups["body"].Value);
        Assert.Contains(Scalars(services["standby"], "volumes"), v => v.StartsWith("./scripts/docker/standby.sh:", StringComparison.Ordinal));

        // cluster.sh: the same name on both sides.
        var config = ClusterConfig();
        string clusterSync = SyncStandby(string.Join('\n', config["primary postgresql.conf"]));
        Assert.Equal(composeSync, clusterSync);
        Assert.Contains(config["primary postgresql.conf"], l => l == "synchronous_commit = on");
        var conninfo = Assert.Single(config["standby postgresql.auto.conf"], l => l.StartsWith("primary_conninfo", StringComparison.Ordinal));
        Assert.Matches($@"application_name={clusterSync}'$", conninfo);
        Assert.Contains("standby_auto_conf >>\"$STATE/standby/postgresql.auto.conf\"", File.ReadAllText(Path.Combine(Root, "scripts", "cluster.sh")));
    }

    [Fact]
    public void Every_node_shares_one_signing_key_source_and_none_is_committed()
    {
        var services = Services(Compose());
        foreach (string node in Nodes)
        {
            string key = Environment(services[node])["Lime__Auth__SigningKey"];
            Assert.StartsWith("${LIME_SIGNING_KEY:?", key); // a required variable: compose refuses to start without it
        }

        Assert.Single(Nodes.Select(n => Environment(services[n])["Lime__Auth__SigningKey"]).Distinct());
        var config = ClusterConfig();
        Assert.Single(ClusterNodes(config).Select(n => n["Lime__Auth__SigningKey"]).Distinct());
        Assert.Contains(".env", File.ReadAllLines(Path.Combine(Root, ".gitignore")));
    }

    [Fact]
    public void Every_node_allows_every_nodes_origin_and_has_its_own_id()
    {
        var services = Services(Compose());
        var composeUrls = Nodes.Select(n => Environment(services[n])["Lime__Cluster__PublicUrl"]).ToList();
        for (int i = 0; i < Nodes.Length; i++)
        {
            // The public URL is the published port.
            var port = new Uri(composeUrls[i]).Port;
            Assert.Contains(Scalars(services[Nodes[i]], "ports"), p => p == $"127.0.0.1:{port}:5080");
        }

        AssertOrigins(Nodes.Select(n => Environment(services[n])).ToList(), composeUrls);
        var clusterNodes = ClusterNodes(ClusterConfig());
        Assert.Equal(3, clusterNodes.Count);
        AssertOrigins(clusterNodes, [.. clusterNodes.Select(n => n["Lime__Cluster__PublicUrl"])]);

        static void AssertOrigins(List<Dictionary<string, string>> nodes, List<string> urls)
        {
            Assert.Equal(nodes.Count, nodes.Select(n => n["Lime__NodeId"]).Distinct().Count());
            Assert.Equal(nodes.Count, urls.Distinct().Count());
            foreach (var env in nodes)
            {
                var origins = env.Where(kv => kv.Key.StartsWith("Lime__Realtime__AllowedOrigins__", StringComparison.Ordinal)).Select(kv => kv.Value).ToHashSet();
                foreach (string url in urls)
                {
                    Assert.Contains(url, origins);
                    Assert.Contains(url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), origins);
                }
            }
        }
    }

    [Fact]
    public void Compose_and_cluster_sh_set_the_same_keys_and_every_key_is_a_LIME_option()
    {
        var services = Services(Compose());
        var clusterNodes = ClusterNodes(ClusterConfig());
        for (int i = 0; i < Nodes.Length; i++)
        {
            var compose = Environment(services[Nodes[i]]).Keys.Where(k => k.StartsWith("Lime__", StringComparison.Ordinal)).Order().ToList();
            var cluster = clusterNodes[i].Keys.Where(k => k.StartsWith("Lime__", StringComparison.Ordinal)).Order().ToList();
            Assert.Equal(cluster, compose);
            Assert.All(compose, k => Assert.True(IsLimeOption(k), $"{k} is not a property of LimeOptions"));
        }

        Assert.False(IsLimeOption("Lime__Storage__NoSuchKey")); // the check itself can fail
    }

    [Fact]
    public void Every_compose_service_has_a_healthcheck_and_a_restart_policy_and_nodes_wait_for_healthy_backends()
    {
        var services = Services(Compose());
        Assert.Contains("pg_isready", HealthTest(services["primary"]));
        Assert.Contains("pg_isready", HealthTest(services["standby"]));
        Assert.Contains("pg_stat_wal_receiver", HealthTest(services["standby"])); // streaming, not only up
        Assert.Contains("redis-cli ping", HealthTest(services["redis"]));
        Assert.Equal("service_healthy", Scalar(Map(Map(services["standby"], "depends_on"), "primary"), "condition"));
        foreach (string node in Nodes)
        {
            Assert.Contains("/app/healthcheck.sh 5080 /readyz", HealthTest(services[node]));
            var dependsOn = Map(services[node], "depends_on");
            foreach (string backend in new[] { "primary", "standby", "redis" })
            {
                Assert.Equal("service_healthy", Scalar(Map(dependsOn, backend), "condition"));
            }

            Assert.Equal("http://0.0.0.0:5080", Environment(services[node])["ASPNETCORE_URLS"]);
        }

        foreach (var (name, service) in services)
        {
            Assert.True(service.Children.ContainsKey("restart"), $"{name} has no restart policy");
            Assert.True(service.Children.ContainsKey("healthcheck"), $"{name} has no healthcheck");
        }
    }

    [Fact]
    public async Task Docker_compose_accepts_the_file_and_refuses_to_start_without_the_signing_key()
    {
        // docker-compose (Debian's; .ci/run installs it) validates the file against the Compose schema and resolves
        // the variables without a Docker engine. No .env is read: the key comes from the environment only.
        string? compose = new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists);
        if (compose is null)
        {
            Assert.SkipUnless(Infrastructure.Services.InCi, "docker-compose not installed (apt-get install docker-compose); required when CI is set");
            Assert.Fail("docker-compose not installed");
        }

        var (exit, output, errors) = await RunComposeConfigAsync(compose, signingKey: null);
        Assert.NotEqual(0, exit);
        Assert.Contains("set LIME_SIGNING_KEY in .env", output + errors);

        string key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        (exit, output, errors) = await RunComposeConfigAsync(compose, key);
        Assert.True(exit == 0, errors);
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        var services = Services((YamlMappingNode)stream.Documents[0].RootNode);
        foreach (string node in Nodes)
        {
            Assert.Equal(key, Environment(services[node])["Lime__Auth__SigningKey"]);
        }

        Assert.Equal(["1", "2", "3"], Nodes.Select(n => Environment(services[n])["Lime__NodeId"]));
    }

    [Fact]
    public async Task The_container_healthcheck_script_passes_on_a_ready_node_and_fails_otherwise()
    {
        await using var server = new LimeServer();
        server.UseKestrel(0);
        server.StartServer();
        int port = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        Assert.Equal(0, await HealthcheckAsync(port, "/readyz"));
        Assert.NotEqual(0, await HealthcheckAsync(port, "/no-such-route")); // 404
        Assert.NotEqual(0, await HealthcheckAsync(FreePort(), "/readyz")); // nothing listening
    }

    [PostgresFact]
    public async Task A_node_waits_for_a_PostgreSQL_that_is_not_up_yet()
    {
        // A port nobody listens on yet; PostgreSQL "comes up" there 2 s after the migration started trying (a relay to
        // the shared test server). Without the retry, Migrate would fail at once with "connection refused".
        string database = await SharedPostgres.NewDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(database);
        int port = FreePort();
        var late = new NpgsqlConnectionStringBuilder(database) { Port = port, Timeout = 5 }.ConnectionString;
        using var relay = new LateRelay(port, target.Host!, target.Port);
        var db = new PostgresDatabase(Options.Create(new LimeOptions
        {
            Storage = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = late, StartupTimeoutSeconds = 60 },
        }));

        try
        {
            var migrating = Task.Run(db.Migrate);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(migrating.IsCompleted, migrating.Exception?.ToString() ?? "Migrate returned before PostgreSQL was reachable");
            relay.Start();
            await migrating.WaitAsync(TimeSpan.FromSeconds(60));

            await using var connection = await db.Source.OpenConnectionAsync();
            await using var read = new NpgsqlCommand("SELECT max(version) FROM schema_version", connection);
            Assert.Equal(PostgresDatabase.SchemaVersion, Convert.ToInt32(await read.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            db.Dispose(); // its pooled connections go through the relay: closed before the relay and the drop
            relay.Dispose();
            await SharedServices.DropDatabaseAsync(database);
        }
    }

    [PostgresFact]
    public async Task The_compose_standby_script_becomes_the_synchronous_standby_and_restarts_from_its_own_data()
    {
        // scripts/docker/standby.sh run for real (as in the compose standby container) against a primary whose commits
        // wait for "standby1": it must stream as standby1 (sync), so commits complete; run again on its data directory
        // (a container restart) it must start without a new base backup and be the synchronous standby again.
        await using var primary = await PostgresInstance.StartPrimaryAsync(synchronousStandby: "standby1");
        string dir = Path.Combine(Path.GetTempPath(), "lime-standbysh-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        if (Infrastructure.Services.IsRoot)
        {
            await RunAsync("chown", "postgres:postgres", dir);
        }

        string pgdata = Path.Combine(dir, "standby");
        int port = FreePort();
        try
        {
            for (int start = 1; start <= 2; start++)
            {
                using var standby = StartStandbyScript(primary.Port, pgdata, port, dir);
                await WaitForSyncStandbyAsync(primary, standby, "standby1");
                await primary.ExecuteAsync($"CREATE TABLE commit_check_{start} (id int); INSERT INTO commit_check_{start} VALUES (1)")
                    .WaitAsync(TimeSpan.FromSeconds(30)); // hangs when the standby is not the synchronous one
                await PgCtlAsync("-D", pgdata, "-m", "fast", "-w", "stop");
                await standby.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(0, standby.ExitCode);
            }

            var conf = await File.ReadAllTextAsync(Path.Combine(pgdata, "postgresql.auto.conf"));
            Assert.Single(AppNameConninfo().Matches(conf)); // appended once: the second start reused the data directory
        }
        finally
        {
            try
            {
                await PgCtlAsync("-D", pgdata, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Not running.
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_node_gives_up_on_an_unreachable_PostgreSQL_after_the_startup_timeout_naming_the_key()
    {
        using var db = new PostgresDatabase(Options.Create(new LimeOptions
        {
            Storage = new StorageOptions
            {
                Provider = StorageProvider.Postgres,
                PostgresConnectionString = $"Host=127.0.0.1;Port={FreePort()};Username=postgres;Database=lime;Timeout=2",
                StartupTimeoutSeconds = 1,
            },
        }));

        var e = Assert.Throws<InvalidOperationException>(db.Migrate);
        Assert.Contains("Lime:Storage:StartupTimeoutSeconds", e.Message);
        Assert.IsAssignableFrom<NpgsqlException>(e.InnerException);
    }

    [Fact]
    public void The_Dockerfile_builds_the_web_client_and_runs_as_non_root_on_all_interfaces()
    {
        var lines = DockerfileInstructions();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, stages.Count);
        Assert.StartsWith("FROM node:", stages[0]);
        Assert.Contains("RUN npm ci --no-audit --no-fund", lines);
        Assert.Contains("RUN npm run build", lines);

        // The server stage takes the built client where the csproj looks for it (web/ beside src/) and does not run npm.
        string csproj = File.ReadAllText(Path.Combine(Root, "src", "Lime.Server", "Lime.Server.csproj"));
        Assert.Contains("NormalizeDirectory('$(MSBuildProjectDirectory)', '..', '..', 'web')", csproj);
        Assert.Contains("$(LimeWebDir)dist/**/*", csproj);
        Assert.Contains("COPY --from=web /src/web/dist web/dist", lines);
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/Lime.Server/Lime.Server.csproj", StringComparison.Ordinal) && l.Contains("-p:LimeBuildWeb=false", StringComparison.Ordinal));

        // Every file the build copies from the context exists and is not excluded by .dockerignore.
        var ignored = DockerIgnore();
        foreach (string line in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (string source in parts[1..^1])
            {
                string path = Path.Combine(Root, source.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{line}: {source} does not exist");
                Assert.DoesNotContain(source.TrimEnd('/') + "/", ignored);
            }
        }

        // Runtime: non-root, all interfaces, the data directory it may write, a health check that exists.
        int runtime = lines.IndexOf(stages[2]);
        var final = lines[runtime..];
        Assert.Contains("USER $APP_UID", final);
        Assert.DoesNotContain(final, l => l is "USER root" or "USER 0");
        Assert.True(final.IndexOf("USER $APP_UID") < final.FindIndex(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        string env = string.Join(' ', final.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)));
        Assert.Contains("ASPNETCORE_URLS=http://0.0.0.0:5080", env);
        Assert.Contains("Lime__Storage__DataDirectory=/data", env);
        Assert.Contains(final, l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("chown \"$APP_UID:$APP_UID\" /data", StringComparison.Ordinal));
        Assert.Contains("COPY scripts/docker/healthcheck.sh /app/healthcheck.sh", final);
        Assert.Contains(final, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.Contains("[\"/app/healthcheck.sh\", \"5080\", \"/readyz\"]", StringComparison.Ordinal));
        Assert.Contains("EXPOSE 5080", final);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"Lime.Server.dll\"]", final);
    }

    [Fact]
    public void The_dockerignore_keeps_build_outputs_dependencies_local_data_and_secrets_out_of_the_image()
    {
        var ignored = DockerIgnore();
        foreach (string pattern in new[] { ".git/", "**/bin/", "**/obj/", "**/node_modules/", "**/TestResults/", "web/dist/", "data/", "**/*.db", ".env", ".cluster/" })
        {
            Assert.Contains(pattern, ignored);
        }
    }

    // ---- helpers ----

    /// <summary>The Dockerfile's instructions, one a line (continuations joined, comments dropped).</summary>
    private static List<string> DockerfileInstructions()
    {
        var result = new List<string>();
        string pending = "";
        foreach (string raw in File.ReadAllLines(Path.Combine(Root, "Dockerfile")))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }

            result.Add(pending + line);
            pending = "";
        }

        return result;
    }

    private static List<string> DockerIgnore() =>
        [.. File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    internal static YamlMappingNode Compose()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)Merged(stream.Documents[0].RootNode);
    }

    /// <summary>
    /// The node with YAML merge keys applied as compose does (<c>&lt;&lt;: *anchor</c>: the anchor's keys, then the
    /// mapping's own keys win). YamlDotNet's MergingParser keeps both copies of an overridden key.
    /// </summary>
    private static YamlNode Merged(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var result = new YamlMappingNode();
                var merge = new YamlScalarNode("<<");
                if (mapping.Children.TryGetValue(merge, out var bases))
                {
                    foreach (var b in bases is YamlSequenceNode list ? list.Children : [bases])
                    {
                        foreach (var (key, value) in ((YamlMappingNode)Merged(b)).Children)
                        {
                            result.Children[key] = value;
                        }
                    }
                }

                foreach (var (key, value) in mapping.Children.Where(kv => !kv.Key.Equals(merge)))
                {
                    result.Children[key] = Merged(value);
                }

                return result;
            case YamlSequenceNode sequence:
                return new YamlSequenceNode(sequence.Children.Select(Merged));
            default:
                return node;
        }
    }

    private static Dictionary<string, YamlMappingNode> Services(YamlMappingNode compose) =>
        Map(compose, "services").Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (YamlMappingNode)kv.Value);

    internal static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    internal static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    internal static List<string> Scalars(YamlMappingNode node, string key) =>
        [.. ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children.Cast<YamlScalarNode>().Select(s => s.Value!)];

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        Map(service, "environment").Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

    private static string HealthTest(YamlMappingNode service)
    {
        var test = (YamlSequenceNode)Map(service, "healthcheck").Children[new YamlScalarNode("test")];
        return string.Join(' ', test.Children.Cast<YamlScalarNode>().Skip(1).Select(s => s.Value)); // after CMD / CMD-SHELL
    }

    private static string SyncStandby(string conf)
    {
        var match = SyncNames().Match(conf);
        Assert.True(match.Success, "no synchronous_standby_names = 'FIRST 1 (name)' in:\n" + conf);
        return match.Groups["name"].Value;
    }

    /// <summary><c>scripts/cluster.sh config 3</c>: its sections (<c># heading</c>) and their lines.</summary>
    private static Dictionary<string, List<string>> ClusterConfig()
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(Root, "scripts", "cluster.sh"), "config", "3"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        info.Environment.Remove("LIME_SIGNING_KEY");
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "cluster.sh config failed: " + errors);

        var sections = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                sections[line[2..]] = current = [];
            }
            else
            {
                current!.Add(line);
            }
        }

        return sections;
    }

    private static List<Dictionary<string, string>> ClusterNodes(Dictionary<string, List<string>> config) =>
        [.. config.Where(s => s.Key.StartsWith("node ", StringComparison.Ordinal)).OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Value.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]))];

    /// <summary>Lime__A__B__0 names a property path of <see cref="LimeOptions"/> (a number indexes an array).</summary>
    internal static bool IsLimeOption(string key)
    {
        var parts = key.Split("__");
        if (parts[0] != "Lime")
        {
            return false;
        }

        var type = typeof(LimeOptions);
        foreach (string part in parts.Skip(1))
        {
            if (type.IsArray && int.TryParse(part, out _))
            {
                type = type.GetElementType()!;
                continue;
            }

            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return false;
            }

            type = property.PropertyType;
        }

        return true;
    }

    private static async Task<(int Exit, string Output, string Errors)> RunComposeConfigAsync(string compose, string? signingKey)
    {
        string empty = Path.GetTempFileName(); // an empty env file: a developer's .env is not read
        var info = new ProcessStartInfo(compose, ["--env-file", empty, "-f", Path.Combine(Root, "docker-compose.yml"), "config"])
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Remove("LIME_SIGNING_KEY");
        if (signingKey is not null)
        {
            info.Environment["LIME_SIGNING_KEY"] = signingKey;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        File.Delete(empty);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static Process StartStandbyScript(int primaryPort, string pgdata, int port, string socketDir)
    {
        string script = Path.Combine(Root, "scripts", "docker", "standby.sh");
        string path = Infrastructure.Services.PostgresBin + ":" + System.Environment.GetEnvironmentVariable("PATH");
        string[] env = ["env", $"PATH={path}", "PRIMARY_HOST=127.0.0.1", $"PRIMARY_PORT={primaryPort}", "STANDBY_NAME=standby1", $"PGDATA={pgdata}"];
        string[] command = [.. env, "bash", script, "-c", $"port={port}", "-c", $"unix_socket_directories={socketDir}", "-c", "listen_addresses=127.0.0.1"];
        var info = Infrastructure.Services.IsRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", .. command])
            : new ProcessStartInfo(command[0], command[1..]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForSyncStandbyAsync(PostgresInstance primary, Process standby, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(standby.HasExited, $"standby.sh exited with {(standby.HasExited ? standby.ExitCode : 0)}");
            await using (var connection = new NpgsqlConnection(primary.ConnectionString() + ";Pooling=false"))
            {
                await connection.OpenAsync();
                await using var query = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE application_name = @name AND sync_state = 'sync'", connection);
                query.Parameters.AddWithValue("name", name);
                if (Convert.ToInt32(await query.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 1)
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no synchronous standby named {name} within 90 s");
            await Task.Delay(200);
        }
    }

    private static Task PgCtlAsync(params string[] args)
    {
        string pgCtl = Path.Combine(Infrastructure.Services.PostgresBin!, "pg_ctl");
        return Infrastructure.Services.IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", pgCtl, .. args]) : RunAsync(pgCtl, args);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }

    private static async Task<int> HealthcheckAsync(int port, string path)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [Path.Combine(Root, "scripts", "docker", "healthcheck.sh"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return process.ExitCode;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lime.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Lime.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^primary_conninfo = '[^']*application_name=standby1'$", RegexOptions.Multiline)]
    private static partial Regex AppNameConninfo();

    [GeneratedRegex(@"synchronous_standby_names = 'FIRST 1 \((?<name>[A-Za-z0-9_$]+)\)'")]
    private static partial Regex SyncNames();

    [GeneratedRegex(@">>""\$PGDATA/postgresql\.auto\.conf"" <<CONF\n(?<body>.*?)\nCONF", RegexOptions.Singleline)]
    private static partial Regex AutoConfAppend();

    /// <summary>From <see cref="Start"/> on, listens on 127.0.0.1:port and pipes every connection to host:targetPort, until disposed.</summary>
    private sealed class LateRelay(int port, string host, int targetPort) : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, port);
        private readonly CancellationTokenSource _stop = new();

        public void Start()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                    {
                        return;
                    }

                    _ = Task.Run(async () =>
                    {
                        using (client)
                        using (var upstream = new TcpClient())
                        {
                            try
                            {
                                await upstream.ConnectAsync(host, targetPort, _stop.Token);
                                var a = client.GetStream();
                                var b = upstream.GetStream();
                                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
                            }
                            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                            {
                            }
                        }
                    });
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}

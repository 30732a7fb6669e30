using System.Diagnostics;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using YamlDotNet.RepresentationModel;
using static Lime.Tests.DeploymentTests;

namespace Lime.Tests;

/// <summary>
/// deploy/kubernetes, without a cluster: the schema check (deploy/kubernetes/check: kubernetes-models' validators
/// generated from Kubernetes' OpenAPI spec, and TypeScript's excess-property check for unknown fields) passes and can
/// fail; and what no schema knows holds: probes on routes the server answers, ports, every env key a LIME option,
/// the termination grace period longer than the drain, the HPA's custom metric one that /metrics exports.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Manifests = Path.Combine(Root, "deploy", "kubernetes");
    private static readonly string Checker = Path.Combine(Manifests, "check");

    [Fact]
    public async Task The_manifests_pass_the_Kubernetes_schema_check()
    {
        var (exit, output) = await CheckAsync();
        Assert.True(exit == 0, output);
        Assert.Contains($"in {ManifestFiles().Count} files checked, 0 problems", output);
    }

    [Fact]
    public async Task The_schema_check_finds_an_unknown_field_a_wrong_type_and_an_unknown_kind()
    {
        string broken = Path.Combine(Path.GetTempPath(), "lime-k8s-" + Guid.NewGuid().ToString("N") + ".yaml");
        string statefulSet = await File.ReadAllTextAsync(Path.Combine(Manifests, "statefulset.yaml"));
        Assert.Contains("periodSeconds: 5", statefulSet);
        Assert.Contains("containerPort: 5080", statefulSet);
        await File.WriteAllTextAsync(broken, statefulSet
            .Replace("periodSeconds: 5", "periodSecond: 5", StringComparison.Ordinal)
            .Replace("containerPort: 5080", "containerPort: \"5080\"", StringComparison.Ordinal)
            + "\n---\napiVersion: v1\nkind: Servise\nmetadata:\n  name: x\n");
        try
        {
            var (exit, output) = await CheckAsync(broken);
            Assert.Equal(1, exit);
            Assert.Contains("'\"periodSecond\"' does not exist in type 'IProbe'", output);
            Assert.Contains("containerPort must be integer", output);
            Assert.Contains("unknown apiVersion/kind v1 Servise", output);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public async Task Probes_ports_env_grace_period_and_the_autoscaling_metric_match_the_server()
    {
        var docs = Documents();
        var set = Single(docs, "StatefulSet");
        var podSpec = Map(Map(Map(set, "spec"), "template"), "spec");
        var container = (YamlMappingNode)((YamlSequenceNode)podSpec.Children[new YamlScalarNode("containers")]).Children.Single();

        // Ports: the image's listener and the metrics listener the ConfigMap configures.
        var ports = ((YamlSequenceNode)container.Children[new YamlScalarNode("ports")]).Children.Cast<YamlMappingNode>()
            .ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(5080, ports["http"]);
        Assert.Contains("ENV ASPNETCORE_URLS=http://0.0.0.0:5080", File.ReadAllText(Path.Combine(Root, "Dockerfile")), StringComparison.Ordinal);
        var config = Map(Single(docs, "ConfigMap"), "data").Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
        Assert.Equal(ports["metrics"], new Uri(config["Lime__Metrics__Listen"]).Port);

        // Env: every key is a LIME option; the secrets come from the Secret, never from the ConfigMap.
        var env = ((YamlSequenceNode)container.Children[new YamlScalarNode("env")]).Children.Cast<YamlMappingNode>().ToList();
        var envNames = env.Select(e => Scalar(e, "name")).ToList();
        Assert.All(config.Keys.Concat(envNames).Where(k => k.StartsWith("Lime__", StringComparison.Ordinal)),
            k => Assert.True(IsLimeOption(k), $"{k} is not a property of LimeOptions"));
        foreach (string secret in new[] { "Lime__Auth__SigningKey", "Lime__Storage__PostgresConnectionString" })
        {
            Assert.DoesNotContain(secret, config.Keys);
            var from = Map(Map(env.Single(e => Scalar(e, "name") == secret), "valueFrom"), "secretKeyRef");
            Assert.Equal("lime-secrets", Scalar(from, "name"));
            Assert.Contains($"--from-literal={Scalar(from, "key")}=", File.ReadAllText(Path.Combine(Manifests, "README.md")), StringComparison.Ordinal);
        }

        Assert.Equal("metadata.labels['apps.kubernetes.io/pod-index']",
            Scalar(Map(Map(env.Single(e => Scalar(e, "name") == "Lime__NodeId"), "valueFrom"), "fieldRef"), "fieldPath"));

        // A running node: the probe paths answer 200, the HPA's pod metric is exported, and the host's shutdown timeout
        // plus the preStop sleep fit in the grace period.
        await using var server = new LimeServer();
        server.UseKestrel(0);
        server.StartServer();
        using var http = new HttpClient { BaseAddress = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/") };
        foreach (string probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            var get = Map(Map(container, probe), "httpGet");
            Assert.Equal("http", Scalar(get, "port"));
            var response = await http.GetAsync(Scalar(get, "path").TrimStart('/'));
            Assert.True(response.IsSuccessStatusCode, $"{probe} {Scalar(get, "path")}: {(int)response.StatusCode}");
        }

        Assert.Equal("/readyz", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("/healthz", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "path"));

        var exported = (await MetricsTests.ScrapeAsync(http)).Names;
        var hpa = Single(docs, "HorizontalPodAutoscaler");
        var metrics = ((YamlSequenceNode)Map(hpa, "spec").Children[new YamlScalarNode("metrics")]).Children.Cast<YamlMappingNode>().ToList();
        Assert.Contains(metrics, m => Scalar(m, "type") == "Resource" && Scalar(Map(m, "resource"), "name") == "cpu");
        var podMetric = Scalar(Map(Map(metrics.Single(m => Scalar(m, "type") == "Pods"), "pods"), "metric"), "name");
        Assert.Equal("lime_connections", podMetric);
        Assert.Contains(podMetric, exported);
        Assert.Contains(podMetric, File.ReadAllText(Path.Combine(Manifests, "README.md")));

        var shutdown = server.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var preStop = ((YamlSequenceNode)Map(Map(Map(container, "lifecycle"), "preStop"), "exec").Children[new YamlScalarNode("command")]).Children.Cast<YamlScalarNode>().Select(s => s.Value).ToList();
        Assert.Equal("sleep", preStop[0]);
        int sleep = int.Parse(preStop[1]!, System.Globalization.CultureInfo.InvariantCulture);
        int grace = int.Parse(Scalar(podSpec, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace > sleep + shutdown.TotalSeconds, $"terminationGracePeriodSeconds {grace} <= preStop {sleep} s + shutdown timeout {shutdown.TotalSeconds} s");
    }

    [Fact]
    public void Selectors_targets_and_the_kustomization_hold_together()
    {
        var docs = Documents();
        var set = Single(docs, "StatefulSet");
        string name = Scalar(Map(set, "metadata"), "name");
        var labels = Map(Map(Map(Map(set, "spec"), "template"), "metadata"), "labels").Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

        foreach (var service in docs.Where(d => Kind(d) == "Service"))
        {
            Assert.All(Map(Map(service, "spec"), "selector").Children, kv => Assert.Equal(labels[((YamlScalarNode)kv.Key).Value!], ((YamlScalarNode)kv.Value).Value));
        }

        Assert.All(Map(Map(Map(Single(docs, "PodDisruptionBudget"), "spec"), "selector"), "matchLabels").Children,
            kv => Assert.Equal(labels[((YamlScalarNode)kv.Key).Value!], ((YamlScalarNode)kv.Value).Value));
        Assert.Equal(Scalar(Map(set, "spec"), "serviceName"), docs.Where(d => Kind(d) == "Service").Select(d => Scalar(Map(d, "metadata"), "name")).Single(n => n == "lime-internal"));
        var target = Map(Map(Single(docs, "HorizontalPodAutoscaler"), "spec"), "scaleTargetRef");
        Assert.Equal(("StatefulSet", name), (Scalar(target, "kind"), Scalar(target, "name")));

        // kubectl apply -k applies every manifest.
        var kustomization = Load(Path.Combine(Manifests, "kustomization.yaml")).Single();
        Assert.Equal(ManifestFiles().Select(Path.GetFileName).Order(), Scalars(kustomization, "resources").Order());
    }

    // ---- helpers ----

    private static List<string> ManifestFiles() =>
        [.. Directory.GetFiles(Manifests, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").Order()];

    private static List<YamlMappingNode> Documents() => [.. ManifestFiles().SelectMany(Load)];

    private static IEnumerable<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(file));
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>();
    }

    // A member, so it wins over the Scalar namespace (Scalar.AspNetCore) that the server's assembly brings in.
    private static string Scalar(YamlMappingNode node, string key) => DeploymentTests.Scalar(node, key);

    private static string Kind(YamlMappingNode doc) => Scalar(doc, "kind");

    private static YamlMappingNode Single(List<YamlMappingNode> docs, string kind) => docs.Single(d => Kind(d) == kind);

    /// <summary>Runs the checker; skipped when its packages are not installed, except on CI (.ci/run installs them).</summary>
    private static async Task<(int Exit, string Output)> CheckAsync(params string[] files)
    {
        if (!File.Exists(Path.Combine(Checker, "node_modules", "kubernetes-models", "package.json")) && !Services.InCi)
        {
            Assert.Skip("deploy/kubernetes/check has no node_modules: run npm ci there (.ci/run does)");
        }

        var info = new ProcessStartInfo("node", ["check.mjs", .. files])
        {
            WorkingDirectory = Checker,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }
}

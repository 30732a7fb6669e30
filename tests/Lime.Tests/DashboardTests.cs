using System.Text.Json;
using System.Text.RegularExpressions;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Lime.Tests;

/// <summary>
/// deploy/observability: the Grafana dashboard and the Prometheus alert rules parse, and every metric they query is
/// exported by a running node (PostgreSQL with its synchronous standby and Redis, so the backend gauges are there).
/// </summary>
public sealed partial class DashboardTests
{
    private static readonly string Deploy = Path.Combine(RepoRoot(), "deploy", "observability");

    [Fact]
    public void The_dashboard_and_the_alert_rules_parse_and_hold_the_panels_and_alerts_operators_need()
    {
        var dashboard = Dashboard();
        Assert.Equal("lime-overview", dashboard.GetProperty("uid").GetString());
        var titles = dashboard.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("title").GetString()!).ToList();
        foreach (string needed in new[] { "Messages acknowledged / s", "Ack latency (send → durable ack)", "Connections", "Outbox lag and depth", "Errors" })
        {
            Assert.Contains(needed, titles);
        }

        Assert.All(DashboardExpressions(), e => Assert.False(string.IsNullOrWhiteSpace(e)));
        var alerts = AlertRules().Select(r => r.Alert).ToList();
        foreach (string needed in new[] { "LimeAckLatencyHigh", "LimeStandbyUnavailable", "LimeOutboxLagHigh", "LimeDeadLettersGrowing" })
        {
            Assert.Contains(needed, alerts);
        }

        Assert.All(AlertRules(), r => Assert.False(string.IsNullOrWhiteSpace(r.Expr)));
    }

    [ClusterFact]
    public async Task Every_metric_the_dashboard_and_the_alerts_query_is_exported_by_a_running_node()
    {
        var queried = DashboardExpressions().Concat(AlertRules().Select(r => r.Expr)).SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);
        Assert.True(queried.Count >= 20, $"only {queried.Count} metric names found in the files");

        await using var cluster = await LimeCluster.StartAsync(nodes: 1);
        var node = cluster.Nodes[0];
        var (http, token, _) = await MetricsTests.RegisterAsync(node, "dash");
        var room = await http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "dash"));
        await using (var socket = await LimeSocket.ConnectAsync(http.WebSocketUri(), token))
        {
            await socket.SendMessageAsync(room.Id, "d1", "hello").Within();
            await socket.SyncAsync([]).Within();
        }

        using var scraper = new HttpClient { BaseAddress = node.BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] missing;
        do
        {
            var names = (await MetricsTests.ScrapeAsync(scraper)).Names;
            missing = [.. queried.Where(q => !names.Contains(q))];
            if (missing.Length > 0)
            {
                await Task.Delay(250); // the backend probes and outbox gauges refresh every few seconds
            }
        }
        while (missing.Length > 0 && DateTime.UtcNow < deadline);

        Assert.True(missing.Length == 0, "queried but not exported: " + string.Join(", ", missing));
    }

    /// <summary>Metric names in a PromQL expression: LIME's, the runtime's and ASP.NET Core's families (labels and functions are not).</summary>
    private static IEnumerable<string> MetricNames(string expr) =>
        MetricName().Matches(LabelMatchers().Replace(expr, "")).Select(m => m.Value);

    private static JsonElement Dashboard() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana-dashboard.json"))).RootElement;

    private static List<string> DashboardExpressions() =>
        [.. Dashboard().GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)];

    private static List<(string Alert, string Expr)> AlertRules()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Deploy, "alerts.yml")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var rules = new List<(string, string)>();
        foreach (var group in ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>())
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                rules.Add((((YamlScalarNode)rule["alert"]).Value!, ((YamlScalarNode)rule["expr"]).Value!));
            }
        }

        return rules;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lime.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Lime.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\b(lime|dotnet|http_server|kestrel)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();
}

using Lime.Tests.Infrastructure;

namespace Lime.Tests;

/// <summary>
/// A bad value anywhere in the Lime tree, nested groups included, refuses to start with a message naming its key
/// (a server that reports ready and cannot take a write is worse than one that does not start).
/// </summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Lime:NodeId", "1024")]
    [InlineData("Lime:Retention:DefaultTtlDays", "-1")]
    [InlineData("Lime:Retention:BatchSize", "0")]
    [InlineData("Lime:Retention:IntervalSeconds", "0")]
    [InlineData("Lime:Storage:MaxBatch", "0")]
    [InlineData("Lime:Storage:AckTimeoutSeconds", "0")]
    [InlineData("Lime:Storage:DataDirectory", " ")]
    [InlineData("Lime:Storage:Provider", "mysql")]
    [InlineData("Lime:Storage:Provider", "2")]
    [InlineData("Lime:Fanout:Provider", "kafka")]
    [InlineData("Lime:Auth:AccessTokenSeconds", "1")]
    [InlineData("Lime:Auth:SigningKey", "c2hvcnQ=")]
    [InlineData("Lime:Auth:LoginsPerAddressPerMinute", "0")]
    [InlineData("Lime:Auth:RegistrationsPerAddressPerHour", "0")]
    [InlineData("Lime:Auth:RefreshesPerAddressPerMinute", "0")]
    [InlineData("Lime:Auth:AccountAttemptsPerMinute", "0")]
    [InlineData("Lime:Auth:MaxConcurrentHashes", "0")]
    [InlineData("Lime:Auth:MaxDevicesPerUser", "0")]
    [InlineData("Lime:Auth:SessionCacheSeconds", "0")]
    [InlineData("Lime:Auth:SessionRecheckSeconds", "0")]
    [InlineData("Lime:Auth:RefreshReuseGraceSeconds", "-1")]
    [InlineData("Lime:Realtime:SendQueueFrames", "0")]
    [InlineData("Lime:Realtime:MaxFrameBytes", "10")]
    [InlineData("Lime:Realtime:MaxReadsInFlight", "0")]
    [InlineData("Lime:Realtime:MaxSocketsPerUser", "0")]
    [InlineData("Lime:Limits:RoomsPerHour", "0")]
    [InlineData("Lime:Limits:MaxReplyBytes", "100")]
    [InlineData("Lime:Limits:MaxPageSize", "0")]
    [InlineData("Lime:Limits:MaxTextBytes", "-1")]
    [InlineData("Lime:Rooms:SyncLimitPerRoom", "0")]
    [InlineData("Lime:Presence:TimeoutSeconds", "0")]
    [InlineData("Lime:Messages:MaxReactionsPerMessage", "0")]
    [InlineData("Lime:Messages:EditWindowSeconds", "-1")]
    [InlineData("Lime:Messages:MaxMentions", "0")]
    [InlineData("Lime:Attachments:MaxFileBytes", "0")]
    [InlineData("Lime:Attachments:UrlSeconds", "901")]
    [InlineData("Lime:Messages:RoomMentionOpenMembers", "-1")]
    [InlineData("Lime:Push:PreviewLength", "0")]
    [InlineData("Lime:Push:Apns:TokenRefreshMinutes", "5")]
    [InlineData("Lime:Push:WebPush:TtlSeconds", "-1")]
    [InlineData("Lime:Push:Fcm:Endpoint", "not a url")]
    [InlineData("Lime:Cluster:NodeTtlSeconds", "0")]
    [InlineData("Lime:Cluster:PublicUrl", "node-1:5080")]
    [InlineData("Lime:Storage:MaxBatch", "lots")]
    [InlineData("Lime:Metrics:Path", "metrics")]
    [InlineData("Lime:Metrics:Listen", "0.0.0.0:9464")]
    [InlineData("Lime:Metrics:Listen", "http://0.0.0.0")]
    [InlineData("Lime:Metrics:AllowedNetworks:0", "10.0.0.0/33")]
    [InlineData("Lime:Metrics:AllowedNetworks:0", "everyone")]
    [InlineData("Lime:Tracing:OtlpProtocol", "thrift")]
    [InlineData("Lime:Tracing:OtlpEndpoint", "collector:4317")]
    [InlineData("Lime:Tracing:SampleRatio", "1.5")]
    [InlineData("Lime:Logging:Format", "xml")]
    public async Task A_bad_value_in_any_option_group_refuses_to_start_naming_its_key(string key, string value)
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { [key] = value });
        var e = Assert.ThrowsAny<Exception>(() => server.CreateClient());
        Assert.Contains(key, Messages(e), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lime:Storage:Provider", "postgres", "Lime:Storage:PostgresConnectionString")]
    [InlineData("Lime:Fanout:Provider", "redis", "Lime:Redis:Configuration")]
    public async Task A_backend_without_its_connection_setting_refuses_to_start_naming_the_missing_key(string key, string value, string missing)
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { [key] = value, ["Lime:Redis:Configuration"] = "" });
        var e = Assert.ThrowsAny<Exception>(() => server.CreateClient());
        Assert.Contains(missing, Messages(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_send_queue_smaller_than_two_of_the_largest_replies_refuses_to_start()
    {
        await using var server = new LimeServer(new Dictionary<string, string?>
        {
            ["Lime:Realtime:SendQueueBytes"] = "1048576",
            ["Lime:Limits:MaxReplyBytes"] = "1048576",
        });
        var e = Assert.ThrowsAny<Exception>(() => server.CreateClient());
        Assert.Contains("Lime:Realtime:SendQueueBytes", Messages(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_names_are_case_insensitive()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "SQLite", ["Lime:Fanout:Provider"] = "Memory" });
        var ready = await server.CreateClient().GetAsync("/readyz").Within();
        Assert.True(ready.IsSuccessStatusCode, $"/readyz answered {ready.StatusCode}");
    }

    [Fact]
    public async Task The_real_executable_with_MaxBatch_0_exits_naming_the_key_and_never_reports_ready()
    {
        string data = Path.Combine(Path.GetTempPath(), "lime-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var process = new ServerProcess(data, new Dictionary<string, string> { ["Lime__Storage__MaxBatch"] = "0" });
            var e = await Assert.ThrowsAsync<InvalidOperationException>(process.StartAsync);
            Assert.Contains("exited", e.Message, StringComparison.Ordinal);
            Assert.Contains("Lime:Storage:MaxBatch", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static string Messages(Exception e)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            text.AppendLine(x.Message);
        }

        return text.ToString();
    }
}

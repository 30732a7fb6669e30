using Lime.Protocol;
using Lime.Server;
using Lime.Server.Push;
using Microsoft.Extensions.Options;

namespace Lime.Tests.Push;

public sealed class PushRulesTests
{
    private static readonly PushMessage Group = new(7, 42, EventKinds.Message, RoomKinds.Group, "Team", 3, 1, "Alice", "Lunch at noon? Bring the long report with you please");

    [Theory]
    [InlineData("full", "Alice: Lunch at noon? Bring the long report with you please")]
    [InlineData("truncated", "Alice: Lunch at noon…")]
    [InlineData("none", "Alice: New message")]
    public void The_preview_setting_decides_how_much_text_leaves_the_server(string preview, string body)
    {
        var composer = new PushComposer(Options.Create(new LimeOptions { Push = new PushOptions { Preview = preview, PreviewLength = 13 } }));
        var n = composer.Message("m:7:42:1", Group, badge: 9);
        Assert.Equal("Team", n.Title);
        Assert.Equal(body, n.Body);
        Assert.Equal(9, n.Badge);
        Assert.Equal("Alice", n.Sender);
        Assert.Equal("room-7", n.CollapseId);
    }

    [Fact]
    public void A_direct_message_is_titled_with_the_sender_and_a_digest_counts_messages()
    {
        var composer = new PushComposer(Options.Create(new LimeOptions()));
        var n = composer.Message("k", Group with { RoomKind = RoomKinds.Direct, RoomName = null, Text = "hi" }, 1);
        Assert.Equal(("Alice", "hi"), (n.Title, n.Body));
        Assert.Equal("5 new messages", PushComposer.Digest("d", 7, 1, "Team", 5, 5).Body);
        Assert.Equal("digest", PushComposer.Digest("d", null, 1, null, 3, 3).CollapseId);
    }

    [Theory]
    [InlineData("hey @bob look", "bob", true)]
    [InlineData("@Bob: look", "bob", true)]
    [InlineData("mail bob@example.com", "bob", false)]
    [InlineData("hey @bobby", "bob", false)]
    [InlineData("thanks @bob.", "bob", true)]
    [InlineData("no mention", "bob", false)]
    public void A_mention_is_at_username_on_word_boundaries(string text, string username, bool mentioned) =>
        Assert.Equal(mentioned, PushAudience.Mentions(text, username));

    [Fact]
    public void Quiet_hours_may_wrap_midnight_and_follow_the_time_zone()
    {
        var at2330Utc = new DateTimeOffset(2026, 1, 15, 23, 30, 0, TimeSpan.Zero);
        Assert.True(PushAudience.InQuietHours(22 * 60, 7 * 60, "UTC", at2330Utc));
        Assert.False(PushAudience.InQuietHours(22 * 60, 7 * 60, "UTC", at2330Utc.AddHours(9)));
        Assert.False(PushAudience.InQuietHours(22 * 60, 7 * 60, "America/New_York", at2330Utc)); // 18:30 there
        Assert.False(PushAudience.InQuietHours(null, null, null, at2330Utc));
    }

    [Fact]
    public void Retries_back_off_exponentially_and_honour_a_longer_retry_after()
    {
        var options = Options.Create(new LimeOptions { Push = new PushOptions { BackoffBaseMs = 1000, MaxBackoffMs = 60_000 } });
        using var metrics = new PushMetrics(new TestMeterFactory());
        var dispatcher = new OutboxDispatcher(null!, [], options, metrics, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxDispatcher>.Instance);
        for (int attempt = 1; attempt <= 4; attempt++)
        {
            double ms = dispatcher.Backoff(attempt, null).TotalMilliseconds;
            double nominal = 1000 * Math.Pow(2, attempt - 1);
            Assert.InRange(ms, nominal * 0.8, nominal * 1.2);
        }

        Assert.Equal(60_000, dispatcher.Backoff(30, null).TotalMilliseconds);
        Assert.True(dispatcher.Backoff(1, TimeSpan.FromSeconds(30)).TotalSeconds >= 30);
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}

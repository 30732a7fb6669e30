using Lime.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Lime.Tests.Push;

public sealed class PushConfigurationTests
{
    [Theory]
    [InlineData("Lime:Push:Webhook:Enabled", "true", "Webhook")]
    [InlineData("Lime:Push:Apns:Enabled", "true", "Apns")]
    [InlineData("Lime:Push:Audience", "everyone", "Audience")]
    [InlineData("Lime:Push:Preview", "some", "Preview")]
    public async Task A_push_configuration_that_cannot_work_stops_the_server_at_start(string key, string value, string named)
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Push:Enabled"] = "true", [key] = value });
        var e = Assert.Throws<OptionsValidationException>(() => server.CreateClient());
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_is_off_by_default_and_the_config_lists_no_provider()
    {
        await using var server = new LimeServer();
        var user = await server.NewUserAsync().Within();
        var push = new Lime.Client.LimePushClient(server.CreateClient(), user.Http);
        var config = await push.GetConfigAsync().Within();
        Assert.Empty(config.Providers);
        Assert.Null(config.VapidPublicKey);
        var e = await Assert.ThrowsAsync<Lime.Client.LimeApiException>(() => push.RegisterAsync(new Lime.Protocol.RegisterPushRequest("webhook", "t")).Within());
        Assert.Equal(Lime.Protocol.ErrorCodes.Validation, e.Code);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Security;

/// <summary>
/// Password guessing and account farming are throttled (per address and per account, 429 with a retry hint), an
/// unknown username costs a hash like a known one, hashing is bounded in concurrency, and device sessions per user
/// are capped (the idlest logged out).
/// </summary>
public sealed class AuthThrottleTests
{
    private const string Password = "correct horse battery";

    /// <summary>The production defaults of the throttles (the test server lifts them).</summary>
    private static Dictionary<string, string?> Defaults(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Lime:Auth:LoginsPerAddressPerMinute"] = "30",
            ["Lime:Auth:RegistrationsPerAddressPerHour"] = "20",
            ["Lime:Auth:RefreshesPerAddressPerMinute"] = "120",
            ["Lime:Auth:AccountAttemptsPerMinute"] = "10",
            // The tests name client addresses with X-Forwarded-For (TestServer has no remote address).
            ["Lime:Cluster:TrustForwardedHeaders"] = "true",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task Fifty_wrong_passwords_for_one_user_from_one_address_end_in_429_with_a_retry_hint()
    {
        await using var server = new LimeServer(Defaults());
        var victim = await server.NewUserAsync("victim").Within();
        var http = server.CreateClient();

        var answers = new List<HttpResponseMessage>();
        for (int i = 0; i < 50; i++)
        {
            answers.Add(await PostAsync(http, "api/auth/login", new LoginRequest(victim.Tokens.User.Username, "wrong password " + i), "198.51.100.7"));
        }

        // The first ten (AccountAttemptsPerMinute) are plain wrong passwords; past them nearly all are throttled (the
        // bucket gets a token back every 6 s, the address's every 2 s).
        Assert.All(answers[..10], a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
        Assert.True(answers[10..].Count(a => a.StatusCode == HttpStatusCode.TooManyRequests) >= 35,
            string.Join(",", answers.Select(a => (int)a.StatusCode)));
        await AssertRetryHintAsync(answers[10]);
        await AssertRetryHintAsync(answers[^1]);

        // While throttled even the right password is refused: that is what stops guessing.
        var right = await PostAsync(http, "api/auth/login", new LoginRequest(victim.Tokens.User.Username, Password), "198.51.100.7");
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_for_one_username_are_throttled_across_addresses_and_other_users_are_not()
    {
        await using var server = new LimeServer(Defaults());
        var victim = await server.NewUserAsync("victim").Within();
        var other = await server.NewUserAsync("other").Within();
        var http = server.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 15; i++)
        {
            var answer = await PostAsync(http, "api/auth/login", new LoginRequest(victim.Tokens.User.Username, "guess " + i), $"203.0.113.{i + 1}");
            statuses.Add(answer.StatusCode);
        }

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized)); // AccountAttemptsPerMinute
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Another account is untouched, from an address that was used for guessing.
        var login = await PostAsync(http, "api/auth/login", new LoginRequest(other.Tokens.User.Username, Password), "203.0.113.1");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task One_address_is_throttled_on_login_register_and_refresh_and_another_address_is_not()
    {
        // Low per-address budgets, so that no token comes back while the test runs (one every 12 s).
        await using var server = new LimeServer(Defaults(("Lime:Auth:LoginsPerAddressPerMinute", "5"), ("Lime:Auth:RefreshesPerAddressPerMinute", "5")));
        var http = server.CreateClient();

        // Logins for many (unknown) usernames from one address: past 5 a minute, 429.
        var logins = new List<HttpResponseMessage>();
        for (int i = 0; i < 8; i++)
        {
            logins.Add(await PostAsync(http, "api/auth/login", new LoginRequest("nobody" + i, "whatever password"), "192.0.2.1"));
        }

        Assert.Equal(5, logins.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        await AssertRetryHintAsync(logins[^1]);

        // Registrations: 20 an hour from one address; IPv6 addresses count by their /64.
        var registrations = new List<HttpResponseMessage>();
        for (int i = 0; i < 22; i++)
        {
            registrations.Add(await PostAsync(http, "api/auth/register", new RegisterRequest("farm" + Guid.NewGuid().ToString("N")[..8], Password), $"2001:db8:1:2::{i + 1:x}"));
        }

        Assert.Equal(20, registrations.Count(a => a.StatusCode == HttpStatusCode.Created));
        await AssertRetryHintAsync(registrations[^1]);

        // Refreshes: 5 a minute from this address (120 by default).
        var refreshes = new List<HttpResponseMessage>();
        for (int i = 0; i < 8; i++)
        {
            refreshes.Add(await PostAsync(http, "api/auth/refresh", new RefreshRequest("not-a-token-" + i), "192.0.2.2"));
        }

        Assert.Equal(5, refreshes.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        await AssertRetryHintAsync(refreshes[^1]);

        // Another address is not affected.
        var elsewhere = await PostAsync(http, "api/auth/register", new RegisterRequest("fresh" + Guid.NewGuid().ToString("N")[..8], Password), "192.0.2.99");
        Assert.Equal(HttpStatusCode.Created, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_login_for_an_unknown_username_verifies_a_password_hash_like_a_wrong_password_does()
    {
        await using var server = new LimeServer();
        var known = await server.NewUserAsync("known").Within();
        var hashing = server.Services.GetRequiredService<PasswordHashing>();
        var http = new LimeHttpClient(server.CreateClient());

        long before = hashing.Hashes;
        await Assert.ThrowsAsync<LimeApiException>(() => http.LoginAsync(new LoginRequest(known.Tokens.User.Username, "wrong password")).Within());
        Assert.Equal(before + 1, hashing.Hashes);

        var unknown = await Assert.ThrowsAsync<LimeApiException>(() => http.LoginAsync(new LoginRequest("no-such-user-here", "wrong password")).Within());
        Assert.Equal((401, ErrorCodes.Unauthenticated), (unknown.Status, unknown.Code));
        Assert.Equal(before + 2, hashing.Hashes);

        // A missing password is checked against a hash too.
        await Assert.ThrowsAsync<LimeApiException>(() => http.LoginAsync(new LoginRequest("no-such-user-here", null!)).Within());
        Assert.Equal(before + 3, hashing.Hashes);
    }

    [Fact]
    public async Task No_more_than_MaxConcurrentHashes_passwords_are_hashed_at_once()
    {
        await using var server = new LimeServer(new Dictionary<string, string?>
        {
            ["Lime:Auth:MaxConcurrentHashes"] = "1",
            ["Lime:Auth:PasswordIterations"] = "50000",
        });
        var user = await server.NewUserAsync("busy").Within();
        var hashing = server.Services.GetRequiredService<PasswordHashing>();

        var logins = Enumerable.Range(0, 8)
            .Select(i => new LimeHttpClient(server.CreateClient()).LoginAsync(new LoginRequest(user.Tokens.User.Username, Password, "d" + i)))
            .ToArray();
        await Task.WhenAll(logins).Within();

        Assert.Equal(1, hashing.PeakConcurrent);
    }

    [Fact]
    public async Task Past_MaxDevicesPerUser_a_login_logs_out_the_device_idle_longest_and_closes_its_socket()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Auth:MaxDevicesPerUser"] = "3" });
        var first = await server.NewUserAsync("many").Within();
        var second = await first.NewDeviceAsync("second").Within();
        var third = await first.NewDeviceAsync("third").Within();
        await using var secondSocket = await second.ConnectAsync().Within();

        // The first device refreshes (it is in use), so the second is now the one idle longest.
        await Task.Delay(5); // distinct last_seen_at milliseconds
        var refreshed = await new LimeHttpClient(server.CreateClient()).RefreshAsync(first.Tokens.RefreshToken).Within();
        var fourth = await first.NewDeviceAsync("fourth").Within();

        await secondSocket.Completion.Within();
        Assert.Equal((CloseCodes.SessionRevoked, "device_limit"), (secondSocket.CloseCode, secondSocket.CloseDescription));
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => second.Http.GetMeAsync().Within());
        Assert.Equal(401, refused.Status);

        var devices = await fourth.Http.ListDevicesAsync().Within();
        Assert.Equal(new[] { first.Tokens.DeviceId, third.Tokens.DeviceId, fourth.Tokens.DeviceId }.Order(), devices.Select(d => d.Id).Order());
        Assert.Equal(first.Tokens.DeviceId, refreshed.DeviceId);
    }

    private static Task<HttpResponseMessage> PostAsync<T>(HttpClient http, string path, T body, string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.Add("X-Forwarded-For", address);
        return http.SendAsync(request).Within();
    }

    private static async Task AssertRetryHintAsync(HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
        using var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(ErrorCodes.RateLimited, problem.RootElement.GetProperty("code").GetString());
        Assert.True(problem.RootElement.GetProperty("retry_after_ms").GetInt32() > 0);
        Assert.NotNull(answer.Headers.RetryAfter?.Delta);
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

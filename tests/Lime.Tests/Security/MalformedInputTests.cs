using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lime.Tests.Security;

/// <summary>
/// Inputs that used to crash a request (500 with a stack trace at error level) answer with their documented code and
/// log nothing at error level: null or malformed sync cursors, and validly signed tokens with bad claims.
/// </summary>
public sealed class MalformedInputTests : IAsyncLifetime
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private readonly CapturingLoggerProvider _logs = new();
    private readonly LimeServer _server;

    public MalformedInputTests() =>
        _server = new LimeServer(new Dictionary<string, string?> { ["Lime:Auth:SigningKey"] = Convert.ToBase64String(Key) })
        {
            ConfigureHost = b => b.ConfigureLogging(l => l.AddProvider(_logs)),
        };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Null_and_malformed_sync_cursors_are_validation_on_rest_and_socket_and_log_no_error()
    {
        var alice = await _server.NewUserAsync("alice");
        await using var socket = await alice.ConnectAsync();
        string[] bodies =
        [
            """{"cursors":[null]}""",
            """{"cursors":[{"room":1,"seq":0},null]}""",
            """{"cursors":[{"seq":3}]}""",
            """{"cursors":[{"room":1,"seq":-1}]}""",
            """{"cursors":[],"limit_per_room":201}""",
            """{"cursors":[],"limit_per_room":1000}""",
            """{"cursors":[],"limit_per_room":0}""",
        ];
        for (int i = 0; i < bodies.Length; i++)
        {
            var (status, code) = await PostAsync("api/sync", bodies[i], alice.Tokens.AccessToken);
            Assert.True((status, code) == (HttpStatusCode.BadRequest, ErrorCodes.Validation), $"{bodies[i]} answered {(int)status} {code}");

            string id = "s" + i.ToString(CultureInfo.InvariantCulture);
            await socket.SendRawAsync("""{"type":"sync","id":"ID",""".Replace("ID", id, StringComparison.Ordinal) + bodies[i][1..]);
            var error = await socket.Errors.ReadAsync().AsTask().Within();
            Assert.Equal((id, ErrorCodes.Validation), (error.Id, error.Code));
        }

        // limit_per_room up to MaxPageSize (200) is fine, and the connection kept working throughout.
        Assert.NotNull(await socket.SyncAsync([new SyncCursor(1, 0)], limitPerRoom: 200).Within());
        await socket.PingAsync().Within();
        AssertNoErrorLogged();
    }

    public static TheoryData<string, string> BadClaims => new()
    {
        { "no sid", """{"sub":"U"}""" },
        { "no sub", """{"sid":"D"}""" },
        { "sid not a number", """{"sub":"U","sid":"abc"}""" },
        { "sid empty", """{"sub":"U","sid":""}""" },
        { "sid negative", """{"sub":"U","sid":"-D"}""" },
        { "sid a fraction", """{"sub":"U","sid":"D.5"}""" },
        { "sid too large", """{"sub":"U","sid":"99999999999999999999"}""" },
        { "sid twice", """{"sub":"U","sid":["D","D"]}""" },
        { "sid a json number", """{"sub":"U","sid":12345678901234567890123}""" },
        { "sub not a number", """{"sub":"x","sid":"D"}""" },
        { "sid of another user's device", """{"sub":"U","sid":"OTHER"}""" },
        { "sub of another user", """{"sub":"OTHERUSER","sid":"D"}""" },
        { "unknown device", """{"sub":"U","sid":"987654321"}""" },
    };

    [Theory]
    [MemberData(nameof(BadClaims))]
    public async Task A_validly_signed_token_with_bad_claims_is_401_on_rest_and_at_the_upgrade_and_logs_no_error(string what, string claims)
    {
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        claims = claims
            .Replace("OTHERUSER", bob.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("OTHER", bob.Tokens.DeviceId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("\"U\"", $"\"{alice.Id}\"", StringComparison.Ordinal)
            .Replace("\"D", $"\"{alice.Tokens.DeviceId}", StringComparison.Ordinal)
            .Replace("-D", $"-{alice.Tokens.DeviceId}", StringComparison.Ordinal);

        // The same claims with alice's own ids are accepted: what is refused below is the claim problem alone.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("api/me", Sign($$"""{"sub":"{{alice.Id}}","sid":"{{alice.Tokens.DeviceId}}"}"""))).Status);

        string token = Sign(claims);
        var (status, code) = await GetAsync("api/me", token);
        Assert.True((status, code) == (HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated), $"{what}: {(int)status} {code}");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.ConnectAsync(token).Within());
        Assert.Contains("status code: 401", refused.Message, StringComparison.Ordinal);
        AssertNoErrorLogged();
    }

    private void AssertNoErrorLogged() =>
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));

    /// <summary>A token signed with the server's key, lifetime and audience right, with exactly these other claims.</summary>
    private static string Sign(string claimsJson)
    {
        var claims = System.Text.Json.JsonDocument.Parse(claimsJson).RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => (object)(p.Value.ValueKind == System.Text.Json.JsonValueKind.Array
                ? p.Value.EnumerateArray().Select(v => v.GetString()!).ToList()
                : p.Value.ValueKind == System.Text.Json.JsonValueKind.Number ? decimal.Parse(p.Value.GetRawText(), CultureInfo.InvariantCulture) : p.Value.GetString()!));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "lime",
            Audience = "lime",
            Claims = claims,
            Subject = new ClaimsIdentity(),
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Key), SecurityAlgorithms.HmacSha256),
        });
    }

    private Task<(HttpStatusCode Status, string? Code)> GetAsync(string path, string token) => RawAsync(HttpMethod.Get, path, token, null);

    private Task<(HttpStatusCode Status, string? Code)> PostAsync(string path, string json, string token) => RawAsync(HttpMethod.Post, path, token, json);

    private async Task<(HttpStatusCode Status, string? Code)> RawAsync(HttpMethod method, string path, string token, string? json)
    {
        using var http = _server.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request).Within();
        string body = await response.Content.ReadAsStringAsync().Within();
        string? code = null;
        if (body.StartsWith('{'))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
        }

        return (response.StatusCode, code);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Attachments;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Attachments;

/// <summary>POST api/uploads on the embedded backend: what is stored, under which name and type, and what is refused before anything is.</summary>
public sealed class UploadTests : IAsyncLifetime
{
    private const long Limit = 256 * 1024;

    private readonly LimeServer _server = new(new Dictionary<string, string?>
    {
        ["Lime:Attachments:MaxFileBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lime:Attachments:DailyBytesPerUser"] = (3 * Limit).ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_upload_is_stored_durably_under_its_hash_with_the_type_from_its_bytes_and_a_sanitised_name()
    {
        var alice = await _server.NewUserAsync("alice");
        var attachment = await alice.Http.UploadAsync(new MemoryStream(TestFiles.TinyPng), "../../etc/pa\u202Ess\u0007.png").Within();

        Assert.Equal(("pass.png", "image/png", (long)TestFiles.TinyPng.Length), (attachment.Name, attachment.Type, attachment.Size));
        string sha = TestFiles.Sha256(TestFiles.TinyPng);
        var paths = _server.Services.GetRequiredService<AttachmentPaths>();
        Assert.Equal(TestFiles.TinyPng, await File.ReadAllBytesAsync(Path.Combine(paths.Blobs, sha[..2], sha[2..4], sha)));
        var row = await _server.Services.GetRequiredService<IAttachmentStore>().GetReadableAsync(long.Parse(attachment.Id, System.Globalization.CultureInfo.InvariantCulture), alice.Id, default);
        Assert.Equal((sha, alice.Id, (long?)null), (row!.Sha256, row.OwnerId, row.RoomId));
        Assert.Empty(Directory.EnumerateFiles(paths.Staging));

        // Nobody else can read an upload that is on no message.
        var bob = await _server.NewUserAsync("bob");
        Assert.Null(await _server.Services.GetRequiredService<IAttachmentStore>().GetReadableAsync(row.Id, bob.Id, default));
    }

    [Theory]
    [InlineData("../../x", "x")]
    [InlineData("..\\..\\windows\\system32\\evil.dll", "evil.dll")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("...", "file")]
    [InlineData("", "file")]
    [InlineData("report\r\nSet-Cookie: a=b.pdf", "reportSet-Cookie_ a=b.pdf")]
    [InlineData("  .hidden. ", "hidden")]
    public void File_names_lose_paths_control_characters_and_leading_dots(string given, string stored) =>
        Assert.Equal(stored, FileNames.Sanitise(given));

    [Fact]
    public async Task The_client_content_type_is_ignored_an_html_page_named_png_is_octet_stream()
    {
        var alice = await _server.NewUserAsync("alice");
        using var http = _server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/uploads?name=cat.png") { Content = new ByteArrayContent(TestFiles.Html) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.Tokens.AccessToken);
        using var response = await http.SendAsync(request).Within();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(("cat.png", "application/octet-stream"), (doc.RootElement.GetProperty("name").GetString(), doc.RootElement.GetProperty("type").GetString()));

        var svg = await alice.Http.UploadAsync(new MemoryStream(TestFiles.SvgWithScript), "logo.svg").Within();
        Assert.Equal("application/octet-stream", svg.Type);
    }

    [Fact]
    public async Task A_body_over_the_limit_without_a_declared_length_is_refused_while_it_streams_and_nothing_is_kept()
    {
        var alice = await _server.NewUserAsync("alice");
        var content = new StreamContent(new ChunkedOnly(TestFiles.Pdf((int)Limit + 100_000)));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, ErrorCodes.FileTooLarge), await PostAsync(alice, content).Within());
        await AssertNothingStoredAsync(alice);

        // Exactly at the limit is fine.
        var fits = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf((int)Limit)), "fits.pdf").Within();
        Assert.Equal(("application/pdf", Limit), (fits.Type, fits.Size));
    }

    [Fact]
    public async Task The_daily_quota_refuses_the_upload_that_would_pass_it_and_stores_nothing_of_it()
    {
        var alice = await _server.NewUserAsync("alice");
        for (int i = 0; i < 3; i++)
        {
            await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf((int)Limit)), $"{i}.pdf").Within();
        }

        var error = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(10)), "one-more.pdf")).Within();
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.QuotaExceeded), ((HttpStatusCode)error.Status, error.Code));
        Assert.Equal(3 * Limit, await _server.Services.GetRequiredService<IAttachmentStore>().BytesSinceAsync(alice.Id, 0, default));

        // Another user has a quota of their own.
        var bob = await _server.NewUserAsync("bob");
        await bob.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(10)), "b.pdf").Within();
    }

    [Fact]
    public async Task An_empty_upload_and_an_anonymous_one_are_refused()
    {
        var alice = await _server.NewUserAsync("alice");
        var empty = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.UploadAsync(new MemoryStream(), "empty.txt")).Within();
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.Validation), ((HttpStatusCode)empty.Status, empty.Code));

        var anonymous = new LimeHttpClient(_server.CreateClient());
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => anonymous.UploadAsync(new MemoryStream(TestFiles.TinyPng), "a.png")).Within();
        Assert.Equal(ErrorCodes.Unauthenticated, refused.Code);
        await AssertNothingStoredAsync(alice);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_refused_from_the_headers_before_any_of_the_body_is_sent()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Attachments:MaxFileBytes"] = "1000" });
        server.UseKestrel(0);
        server.StartServer();
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
        var http = new LimeHttpClient(new HttpClient { BaseAddress = address });
        var tokens = await http.RegisterAsync(new RegisterRequest("alice", "correct horse battery")).Within();

        // Headers claiming 10 GB, and not one byte of body: the answer must come anyway.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port).Within();
        var stream = tcp.GetStream();
        string head = $"POST /api/uploads?name=big.bin HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {tokens.AccessToken}\r\n" +
            "Content-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).AsTask().Within();
        var buffer = new byte[4096];
        int read = await stream.ReadAsync(buffer).AsTask().Within();
        string response = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains(ErrorCodes.FileTooLarge, response, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(server.Services.GetRequiredService<AttachmentPaths>().Staging));
    }

    private static async Task<(HttpStatusCode Status, string? Code)> PostAsync(TestUser user, HttpContent content)
    {
        using var http = user.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/uploads?name=big.pdf") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Tokens.AccessToken);
        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null);
    }

    private async Task AssertNothingStoredAsync(TestUser user)
    {
        Assert.Equal(0, await _server.Services.GetRequiredService<IAttachmentStore>().BytesSinceAsync(user.Id, 0, default));
        var paths = _server.Services.GetRequiredService<AttachmentPaths>();
        Assert.Empty(Directory.EnumerateFiles(paths.Staging));
        Assert.Empty(Directory.EnumerateFiles(paths.Blobs, "*", SearchOption.AllDirectories));
    }

    /// <summary>A stream without a length, so the body goes chunked and the server learns its size only by reading it.</summary>
    private sealed class ChunkedOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

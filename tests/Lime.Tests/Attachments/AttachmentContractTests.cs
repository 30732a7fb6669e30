using System.Net;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Attachments;

/// <summary>
/// Attachments through the real API on every storage backend: messages that carry uploads, who may read them, and what
/// is refused (nothing stored, connection alive).
/// </summary>
public abstract class AttachmentContractTests : IAsyncLifetime
{
    protected LimeServer Server { get; private set; } = null!;

    protected virtual string? SkipReason => null;

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync()
    {
        var settings = await BackendSettingsAsync();
        settings["Lime:Attachments:MaxPerMessage"] = "3";
        Server = new LimeServer(settings);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    [Fact]
    public async Task A_message_carries_its_attachments_in_the_live_event_history_and_sync_and_may_have_no_text()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        await using var bobSocket = await bob.ConnectAsync();
        var png = await alice.Http.UploadAsync(new MemoryStream(TestFiles.TinyPng), "dot.png").Within();
        var pdf = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(5000)), "report.pdf").Within();

        var ack = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", null, Attachments: [png.Id, pdf.Id])).Within();

        var live = (await Wait.ForEventsAsync(bobSocket.Events, 1, e => e.Seq == ack.Seq))[0];
        Assert.Null(live.Text);
        AssertCarries(live, png, pdf);
        AssertCarries((await bob.Http.GetHistoryAsync(room.Id, after: ack.Seq - 1).Within()).Events.Single(e => e.Seq == ack.Seq), png, pdf);
        AssertCarries((await bob.Http.SyncAsync(null).Within()).Rooms.Single(r => r.Room.Id == room.Id).Events.Single(e => e.Seq == ack.Seq), png, pdf);

        // A retry returns the first ack and binds nothing again; an edit keeps the attachments.
        var again = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", null, Attachments: [png.Id, pdf.Id])).Within();
        Assert.Equal((ack.Seq, true), (again.Seq, again.Duplicate));
        await alice.Http.EditMessageAsync(room.Id, ack.Seq, "with a caption").Within();
        var edited = (await bob.Http.GetHistoryAsync(room.Id, after: ack.Seq - 1).Within()).Events.Single(e => e.Seq == ack.Seq);
        Assert.Equal("with a caption", edited.Text);
        AssertCarries(edited, png, pdf);
    }

    [Fact]
    public async Task Someone_elses_upload_a_used_one_or_an_unknown_id_is_refused_on_both_transports_and_nothing_is_stored()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        var bobs = await bob.Http.UploadAsync(new MemoryStream(TestFiles.TinyPng), "bobs.png").Within();
        var mine = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(100)), "mine.pdf").Within();
        long before = (await alice.Http.GetRoomAsync(room.Id).Within()).LastSeq;

        foreach (string[] ids in new string[][] { [bobs.Id], [mine.Id, bobs.Id], ["999999999"] })
        {
            var refused = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.SendAsync(room.Id, new SendMessageRequest("x" + ids.Length + ids[0], "look", Attachments: ids))).Within();
            Assert.Equal(((int)HttpStatusCode.BadRequest, ErrorCodes.AttachmentInvalid), (refused.Status, refused.Code));
        }

        Assert.Equal(before, (await alice.Http.GetRoomAsync(room.Id).Within()).LastSeq);

        // Malformed lists: too many, repeated, not a number.
        var extra = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(101)), "2.pdf").Within();
        foreach (string[] ids in new string[][] { ["1", "2", "3", "4"], [mine.Id, mine.Id], ["abc"], ["-5"] })
        {
            var refused = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.SendAsync(room.Id, new SendMessageRequest("bad" + ids.Length, "x", Attachments: ids))).Within();
            Assert.Equal(ErrorCodes.Validation, refused.Code);
        }

        // The socket refuses the same way and the connection goes on.
        await using var socket = await alice.ConnectAsync();
        var error = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(room.Id, new SendMessageRequest("s1", "x", Attachments: [bobs.Id]))).Within();
        Assert.Equal(ErrorCodes.AttachmentInvalid, error.Code);
        Assert.Equal(before, (await alice.Http.GetRoomAsync(room.Id).Within()).LastSeq);

        // An upload can be on one message only; the first send takes it.
        var ok = await socket.SendMessageAsync(room.Id, new SendMessageRequest("s2", "mine", Attachments: [mine.Id, extra.Id])).Within();
        Assert.Equal(before + 1, ok.Seq);
        var reused = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.SendAsync(room.Id, new SendMessageRequest("s3", "again", Attachments: [mine.Id]))).Within();
        Assert.Equal(ErrorCodes.AttachmentInvalid, reused.Code);
    }

    [Fact]
    public async Task Two_messages_in_one_commit_cannot_both_take_the_same_upload()
    {
        SkipWhenUnavailable();
        var (alice, _, room) = await GroupAsync();
        var file = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(300)), "one.pdf").Within();
        var sends = Enumerable.Range(0, 8).Select(i => Outcome(alice.Http.SendAsync(room.Id, new SendMessageRequest("race" + i, "r", Attachments: [file.Id])))).ToArray();
        var outcomes = await Task.WhenAll(sends).Within();
        Assert.Equal(1, outcomes.Count(o => o is null));
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal(ErrorCodes.AttachmentInvalid, o));
        var events = (await alice.Http.GetHistoryAsync(room.Id).Within()).Events.Where(e => e.Attachments is not null).ToList();
        Assert.Single(events);
    }

    [Fact]
    public async Task A_delete_for_everyone_removes_the_attachments_from_the_message()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        var file = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(300)), "gone.pdf").Within();
        var ack = await alice.Http.SendAsync(room.Id, new SendMessageRequest("d1", "soon gone", Attachments: [file.Id])).Within();
        await alice.Http.DeleteMessageAsync(room.Id, ack.Seq).Within();
        var message = (await bob.Http.GetHistoryAsync(room.Id, after: ack.Seq - 1).Within()).Events.Single(e => e.Seq == ack.Seq);
        Assert.Equal((true, (AttachmentDto[]?)null, (string?)null), (message.Deleted, message.Attachments, message.Text));
    }

    [Fact]
    public async Task Another_member_downloads_identical_bytes_through_the_signed_url_without_a_token_and_with_ranges()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        byte[] bytes = TestFiles.Pdf(300_000);
        var file = await alice.Http.UploadAsync(new MemoryStream(bytes), "big.pdf").Within();
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("f1", "the report", Attachments: [file.Id])).Within();

        var link = await bob.Http.GetAttachmentAsync(file.Id).Within();
        Assert.Equal((file.Id, "big.pdf", (long)bytes.Length), (link.Attachment.Id, link.Attachment.Name, link.Attachment.Size));
        Assert.InRange(link.ExpiresAt - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1, 15 * 60 * 1000);
        var received = new MemoryStream();
        var anonymous = new LimeHttpClient(Server.CreateClient()); // no bearer token at all
        long progress = 0;
        await anonymous.DownloadAsync(link.Url, received, new Progress<long>(n => progress = n)).Within();
        Assert.Equal(TestFiles.Sha256(bytes), TestFiles.Sha256(received.ToArray()));

        using var http = Server.CreateClient();
        using var response = await http.GetAsync(link.Url.TrimStart('/')).Within();
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);

        using var range = new HttpRequestMessage(HttpMethod.Get, link.Url.TrimStart('/'));
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
        using var partial = await http.SendAsync(range).Within();
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[1000..2000], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_non_member_and_a_banned_member_cannot_fetch_even_with_a_link_issued_before_the_ban()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        var stranger = await Server.NewUserAsync("stranger");
        var file = await alice.Http.UploadAsync(new MemoryStream(TestFiles.TinyPng), "dot.png").Within();
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("p1", "pic", Attachments: [file.Id])).Within();
        var bobsLink = await bob.Http.GetAttachmentAsync(file.Id).Within();
        Assert.Equal(HttpStatusCode.OK, await FetchAsync(bobsLink.Url));

        var refused = await Assert.ThrowsAsync<LimeApiException>(() => stranger.Http.GetAttachmentAsync(file.Id)).Within();
        Assert.Equal(((int)HttpStatusCode.NotFound, ErrorCodes.NotFound), (refused.Status, refused.Code));
        // Bob's link with the stranger's id in it: the signature no longer matches.
        Assert.Equal(HttpStatusCode.Forbidden, await FetchAsync(bobsLink.Url.Replace($"u={bob.Id}", $"u={stranger.Id}", StringComparison.Ordinal)));

        await alice.Http.BanAsync(room.Id, bob.Id).Within();
        var banned = await Assert.ThrowsAsync<LimeApiException>(() => bob.Http.GetAttachmentAsync(file.Id)).Within();
        Assert.Equal(ErrorCodes.NotFound, banned.Code);
        Assert.Equal(HttpStatusCode.NotFound, await FetchAsync(bobsLink.Url)); // the right is checked again on every fetch
        Assert.Equal(HttpStatusCode.OK, await FetchAsync((await alice.Http.GetAttachmentAsync(file.Id).Within()).Url));
    }

    [Fact]
    public async Task An_expired_or_altered_signed_url_is_refused()
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        var file = await alice.Http.UploadAsync(new MemoryStream(TestFiles.Pdf(1000)), "a.pdf").Within();
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("e1", "x", Attachments: [file.Id])).Within();
        var link = await bob.Http.GetAttachmentAsync(file.Id).Within();
        Assert.Equal(HttpStatusCode.OK, await FetchAsync(link.Url));

        var urls = (Lime.Server.Attachments.AttachmentUrls)Server.Services.GetService(typeof(Lime.Server.Attachments.AttachmentUrls))!;
        long id = long.Parse(file.Id, System.Globalization.CultureInfo.InvariantCulture);
        string expired = urls.SignUntil(id, "content", bob.Id, DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds());
        string farFuture = urls.SignUntil(id, "content", bob.Id, DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds()); // validly signed, but longer than the server issues
        string sig = link.Url[(link.Url.IndexOf("sig=", StringComparison.Ordinal) + 4)..];
        string flipped = link.Url[..^sig.Length] + (sig[0] == 'A' ? 'B' : 'A') + sig[1..];
        long exp = long.Parse(System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + link.Url).Query)["exp"]!, System.Globalization.CultureInfo.InvariantCulture);
        string later = link.Url.Replace($"exp={exp}", $"exp={exp + 60}", StringComparison.Ordinal);
        string thumbnailInstead = link.Url.Replace("/content?", "/thumbnail?", StringComparison.Ordinal);
        foreach (string url in new[] { expired, farFuture, flipped, later, thumbnailInstead, link.Url[..link.Url.IndexOf("&sig=", StringComparison.Ordinal)] })
        {
            using var http = Server.CreateClient();
            using var response = await http.GetAsync(url.TrimStart('/')).Within();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains(ErrorCodes.SignatureInvalid, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("cat.png")]
    [InlineData("logo.svg")]
    public async Task Html_named_as_an_image_and_svg_with_script_are_served_as_downloads_never_as_pages(string name)
    {
        SkipWhenUnavailable();
        var (alice, bob, room) = await GroupAsync();
        byte[] bytes = name.EndsWith(".svg", StringComparison.Ordinal) ? TestFiles.SvgWithScript : TestFiles.Html;
        var file = await alice.Http.UploadAsync(new MemoryStream(bytes), name).Within();
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("h1", "look", Attachments: [file.Id])).Within();
        var link = await bob.Http.GetAttachmentAsync(file.Id).Within();
        using var http = Server.CreateClient();
        using var response = await http.GetAsync(link.Url.TrimStart('/')).Within();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(("attachment", name), (response.Content.Headers.ContentDisposition?.DispositionType, response.Content.Headers.ContentDisposition?.FileNameStar));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.StartsWith("sandbox", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<HttpStatusCode> FetchAsync(string url)
    {
        using var http = Server.CreateClient();
        using var response = await http.GetAsync(url.TrimStart('/')).Within();
        return response.StatusCode;
    }

    protected async Task<(TestUser Alice, TestUser Bob, RoomDto Room)> GroupAsync()
    {
        var alice = await Server.NewUserAsync("alice");
        var bob = await Server.NewUserAsync("bob");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "photos", Members: [bob.Id])).Within();
        return (alice, bob, room);
    }

    private static void AssertCarries(EventDto e, params AttachmentDto[] expected) =>
        Assert.Equal(expected.Select(a => (a.Id, a.Name, a.Size, a.Type)), e.Attachments!.Select(a => (a.Id, a.Name, a.Size, a.Type)));

    private static async Task<string?> Outcome(Task<AckDto> send)
    {
        try
        {
            await send;
            return null;
        }
        catch (LimeApiException e)
        {
            return e.Code;
        }
    }
}

public sealed class SqliteAttachmentContractTests : AttachmentContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresAttachmentContractTests : AttachmentContractTests
{
    protected override string? SkipReason => Services.PostgresBin is null && !Services.InCi
        ? "PostgreSQL is not installed (apt-get install postgresql); these tests are required on CI."
        : null;

    protected override async Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (SkipReason is not null)
        {
            return new Dictionary<string, string?>();
        }

        return new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync(),
        };
    }
}

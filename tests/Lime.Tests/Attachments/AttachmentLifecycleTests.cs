using Lime.Protocol;
using Lime.Server.Attachments;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Attachments;

/// <summary>The attachment sweeper: orphans go after OrphanHours, attachments of messages deleted for everyone go at the next pass; shared blobs stay while used.</summary>
public sealed class AttachmentLifecycleTests : IAsyncLifetime
{
    private readonly FakeClock _clock = new(DateTimeOffset.UtcNow);
    private LimeServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = new LimeServer(new Dictionary<string, string?> { ["Lime:Attachments:SweepBatch"] = "2" })
        {
            ConfigureHost = host => host.ConfigureServices(s => s.AddSingleton<TimeProvider>(_clock)),
        };
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Unreferenced_uploads_are_deleted_after_a_day_in_bounded_batches_and_referenced_ones_stay()
    {
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        byte[] shared = TestFiles.Pdf(2000);
        var orphans = new List<AttachmentDto>();
        var orphanBytes = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            orphanBytes.Add(TestFiles.Pdf(1000 + i));
            orphans.Add(await alice.Http.UploadAsync(new MemoryStream(orphanBytes[i]), $"o{i}.pdf").Within());
        }

        var sharedOrphan = await alice.Http.UploadAsync(new MemoryStream(shared), "copy1.pdf").Within();
        var sent = await alice.Http.UploadAsync(new MemoryStream(shared), "copy2.pdf").Within(); // same bytes, one blob
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("m", "kept", Attachments: [sent.Id])).Within();
        var sweeper = _server.Services.GetRequiredService<AttachmentSweeper>();

        Assert.Equal(0, await sweeper.SweepAsync(default)); // not a day old yet
        _clock.Advance(TimeSpan.FromHours(25));
        int total = 0;
        for (int pass = 0; pass < 5; pass++)
        {
            int swept = await sweeper.SweepAsync(default);
            Assert.InRange(swept, 0, 2); // bounded batches
            total += swept;
        }

        Assert.Equal(4, total);
        foreach (var o in orphans.Append(sharedOrphan))
        {
            Assert.Null(await Store().GetReadableAsync(Id(o), alice.Id, default));
        }

        foreach (var bytes in orphanBytes)
        {
            Assert.False(await Blobs().ExistsAsync(TestFiles.Sha256(bytes), default));
        }

        Assert.True(await Blobs().ExistsAsync(TestFiles.Sha256(shared), default)); // still used by the sent one
        var received = new MemoryStream();
        await bob.Http.DownloadAsync((await bob.Http.GetAttachmentAsync(sent.Id).Within()).Url, received).Within();
        Assert.Equal(shared, received.ToArray());
    }

    [Fact]
    public async Task A_delete_for_everyone_deletes_the_attachment_and_its_blob()
    {
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        byte[] bytes = TestFiles.Pdf(3000);
        var file = await alice.Http.UploadAsync(new MemoryStream(bytes), "gone.pdf").Within();
        var ack = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m", "x", Attachments: [file.Id])).Within();
        var link = await bob.Http.GetAttachmentAsync(file.Id).Within();

        await alice.Http.DeleteMessageAsync(room.Id, ack.Seq).Within();
        var refused = await Assert.ThrowsAsync<Lime.Client.LimeApiException>(() => bob.Http.GetAttachmentAsync(file.Id)).Within();
        Assert.Equal(ErrorCodes.NotFound, refused.Code);
        var old = await Assert.ThrowsAsync<Lime.Client.LimeApiException>(() => bob.Http.DownloadAsync(link.Url, new MemoryStream())).Within();
        Assert.Equal(ErrorCodes.NotFound, old.Code);

        Assert.True(await Blobs().ExistsAsync(TestFiles.Sha256(bytes), default));
        Assert.Equal(1, await _server.Services.GetRequiredService<AttachmentSweeper>().SweepAsync(default));
        Assert.False(await Blobs().ExistsAsync(TestFiles.Sha256(bytes), default));
    }

    private IAttachmentStore Store() => _server.Services.GetRequiredService<IAttachmentStore>();

    private IBlobStore Blobs() => _server.Services.GetRequiredService<IBlobStore>();

    private static long Id(AttachmentDto a) => long.Parse(a.Id, System.Globalization.CultureInfo.InvariantCulture);

    private sealed class FakeClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}

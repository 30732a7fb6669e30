using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Lime.Tests;

/// <summary>
/// One trace per send: lime.send, its lime.commit, and that commit's lime.fanout, linked parent to child; OTLP export
/// only when switched on (to a fake collector on loopback, which also shows no message text leaves in a span).
/// Alone (not in parallel with other tests): the listener sees every server in the process, and another test's server
/// has rooms and seqs with the same numbers (CI rehearsal matched a span of another test's user).
/// </summary>
[Collection(TracingGroup.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task A_send_makes_a_send_span_whose_child_is_its_commit_whose_child_is_its_fanout()
    {
        using var spans = new SpanRecorder();
        await using var server = new LimeServer();
        var alice = await server.NewUserAsync("alice");
        var bob = await server.NewUserAsync("bob");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "traced", Members: [bob.Id]));
        await using var aliceSocket = await alice.ConnectAsync();
        await using var bobSocket = await bob.ConnectAsync();

        var ack = await aliceSocket.SendMessageAsync(room.Id, "t1", "traced text").Within();
        var rest = await alice.Http.SendAsync(room.Id, new SendMessageRequest("t2", "traced over REST"));
        await Wait.ForEventsAsync(bobSocket.Events, 2, e => e.Kind == EventKinds.Message);

        foreach (var seq in new[] { ack.Seq, rest.Seq })
        {
            var send = await spans.WaitForAsync(a => a.OperationName == "lime.send" && Tag(a, "lime.room") == room.Id && Tag(a, "lime.seq") == seq);
            Assert.Equal(alice.Id, Tag(send, "lime.user"));
            var commit = await spans.WaitForAsync(a => a.OperationName == "lime.commit" && a.ParentSpanId == send.SpanId);
            Assert.Equal(send.TraceId, commit.TraceId);
            Assert.True(Tag(commit, "lime.batch.size") >= 1);
            var fanout = await spans.WaitForAsync(a => a.OperationName == "lime.fanout" && a.ParentSpanId == commit.SpanId);
            Assert.Equal(send.TraceId, fanout.TraceId);
            Assert.Equal(seq, Tag(fanout, "lime.seq"));
            Assert.Equal(2, Tag(fanout, "lime.fanout.copies")); // alice's and bob's sockets
            Assert.True(commit.StartTimeUtc >= send.StartTimeUtc && fanout.StartTimeUtc >= commit.StartTimeUtc);
        }

        // A refused send: its span says why, and nothing was committed under it.
        await Assert.ThrowsAsync<LimeSocketException>(() => aliceSocket.SendMessageAsync(room.Id, "t3", " ").Within());
        var refused = await spans.WaitForAsync(a => a.OperationName == "lime.send" && Tag(a, "lime.room") == room.Id && a.Status == ActivityStatusCode.Error);
        Assert.Equal(ErrorCodes.Validation, refused.GetTagItem("lime.error"));
        Assert.DoesNotContain(spans.All, a => a.ParentSpanId == refused.SpanId);
        Assert.DoesNotContain(spans.All, a => a.TagObjects.Any(t => t.Value is string s && s.Contains("traced", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Tracing_is_off_by_default_no_tracer_provider_is_registered()
    {
        await using var server = new LimeServer();
        _ = server.CreateClient();
        Assert.Null(server.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task Switched_on_spans_are_exported_over_otlp_to_the_configured_collector_without_message_text()
    {
        using var collector = new FakeCollector();
        string dir = Path.Combine(Path.GetTempPath(), "lime-otlp-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = new ServerProcess(dir, new Dictionary<string, string>
        {
            ["Lime__Tracing__Enabled"] = "true",
            ["Lime__Tracing__OtlpProtocol"] = "http/protobuf",
            ["Lime__Tracing__OtlpEndpoint"] = collector.Url + "v1/traces",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        await server.StartAsync();
        var (http, token, _) = await MetricsTests.RegisterAsync(server, "otlp");
        var room = await http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "otlp"));
        await using var socket = await LimeSocket.ConnectAsync(http.WebSocketUri(), token);
        await socket.SendMessageAsync(room.Id, "o1", "secret body over otlp").Within();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!collector.Received("lime.send", "lime.commit", "lime.fanout") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(collector.Received("lime.send", "lime.commit", "lime.fanout"), $"{collector.Requests.Count} OTLP requests, not all three spans among them: " +
            string.Join(",", new[] { "lime.send", "lime.commit", "lime.fanout", "POST" }.Where(n => collector.Received(n))));
        Assert.All(collector.Requests, r => Assert.Equal("/v1/traces", r.Path));
        Assert.DoesNotContain(collector.Requests, r => Encoding.UTF8.GetString(r.Body).Contains("secret body", StringComparison.Ordinal));
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static long? Tag(Activity a, string name) => a.GetTagItem(name) switch
    {
        long l => l,
        int i => i,
        _ => null,
    };

    /// <summary>Every span of the Lime source that ends in this process while it lives (other tests' too: filter).</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _spans = new();

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LimeTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _spans.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IEnumerable<Activity> All => _spans;

        public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                if (_spans.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                Assert.True(DateTime.UtcNow < deadline, "The expected span did not end within 15 s.");
                await Task.Delay(20);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>An OTLP/HTTP receiver on loopback that keeps every request.</summary>
    private sealed class FakeCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public FakeCollector()
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
            }

            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<(string Path, byte[] Body)> Requests { get; } = new();

        /// <summary>Whether every name arrived, in any request (span names travel as UTF-8 strings in the protobuf).</summary>
        public bool Received(params string[] names) =>
            names.All(n => Requests.Any(r => r.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(n)) >= 0));

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Requests.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingGroup
{
    public const string Name = "tracing";
}

using System.Reflection;
using Lime.Protocol;
using Lime.Server;
using Lime.Server.Chat;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Tests;

public sealed class TypingServiceTests
{
    [Fact]
    public async Task Two_typing_frames_of_one_user_arriving_together_send_one_signal()
    {
        // The room lookups are held until both calls are inside, as a PostgreSQL round trip lets them be: the throttle
        // must already hold then (a check before the lookups and a set after them let both through).
        var store = DispatchProxy.Create<IRoomStore, HeldRoomStore>();
        var held = (HeldRoomStore)(object)store;
        var fanout = new CountingFanout();
        var typing = new TypingService(store, fanout, Options.Create(new LimeOptions()), TimeProvider.System);

        var first = typing.TypingAsync(2, 1);
        var second = typing.TypingAsync(2, 1);
        // Either the second call is refused at once (throttled), or it reached the lookups too.
        await Task.WhenAny(held.Entered.Task, second).WaitAsync(TimeSpan.FromSeconds(10));
        held.Release.SetResult();
        var sent = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(sent, s => s);
        Assert.Equal(1, fanout.Signals);
    }

    public class HeldRoomStore : DispatchProxy
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IRoomStore.GetRoomAsync) => HeldAsync<RoomRecord?>(new RoomRecord((long)args![0]!, RoomKinds.Group, "g", null, null, 1, 0, 1, 0, 0, 3)),
            nameof(IRoomStore.GetMemberAsync) => Task.FromResult<MemberRecord?>(new MemberRecord((long)args![0]!, (long)args[1]!, "member", 0, 1, 0)),
            _ => throw new NotSupportedException(targetMethod?.Name),
        };

        private async Task<T> HeldAsync<T>(T value)
        {
            if (Interlocked.Increment(ref _calls) == 2)
            {
                Entered.TrySetResult();
            }

            await Release.Task;
            return value;
        }
    }

    private sealed class CountingFanout : IFanout
    {
        private int _signals;

        public int Signals => Volatile.Read(ref _signals);

        public void Publish(IReadOnlyList<EventDto> events)
        {
        }

        public void Signal(Signal signal) => Interlocked.Increment(ref _signals);
    }
}

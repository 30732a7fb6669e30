using System.Globalization;

namespace Lime.Bench;

/// <summary>
/// One sender in one room with its own open-loop schedule: first, first + interval, first + 2·interval, … (computed
/// from k, so rounding never drifts). <see cref="Weight"/> is its relative share of the load's total rate. Owned by one
/// scheduler thread.
/// </summary>
internal sealed class LoadSender(int user, LoadRoom room, double weight)
{
    private readonly string _prefix = room.Id.ToString(CultureInfo.InvariantCulture) + "-";
    private long _scheduleBase;
    private double _intervalTicks;
    private long _k;
    private long _nextMessage;

    public int User { get; } = user;
    public LoadRoom Room { get; } = room;
    public double Weight { get; } = weight;

    /// <summary>The scheduled time (Stopwatch timestamp) of the next send.</summary>
    public long NextDue { get; private set; }

    public void StartSchedule(long first, double intervalTicks)
    {
        _scheduleBase = first;
        _intervalTicks = intervalTicks;
        _k = 0;
        NextDue = first;
    }

    public void Advance()
    {
        _k++;
        NextDue = _scheduleBase + (long)(_k * _intervalTicks);
    }

    /// <summary>Unique per (room, sender) for the whole run.</summary>
    public string NextClientMsgId() => _prefix + (++_nextMessage).ToString(CultureInfo.InvariantCulture);
}

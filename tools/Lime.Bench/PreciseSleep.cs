using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lime.Bench;

/// <summary>
/// Sleeps until the next scheduled send without spinning. Thread.Sleep has whole-millisecond granularity (at least
/// 1 ms on Linux), so a scheduler that uses it issues sends up to a millisecond late — half a millisecond on median,
/// which shows up in every measured latency as generator lag. On Linux nanosleep(2) wakes within the timer slack
/// (50 µs by default) instead; elsewhere this falls back to Thread.Sleep.
/// </summary>
internal static partial class PreciseSleep
{
    private const long MinNanoseconds = 20_000;
    private const long MaxNanoseconds = 50_000_000;

    public static void For(long stopwatchTicks)
    {
        long ns = (long)(stopwatchTicks * (1_000_000_000.0 / Stopwatch.Frequency));
        ns = Math.Clamp(ns, MinNanoseconds, MaxNanoseconds);
        if (OperatingSystem.IsLinux())
        {
            var request = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
            // An interrupted sleep (EINTR) just returns early; the scheduler loop re-checks the clock.
            _ = NanoSleep(ref request, IntPtr.Zero);
            return;
        }

        Thread.Sleep((int)Math.Clamp(ns / 1_000_000, 1, 50));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(ref Timespec request, IntPtr remaining);
}

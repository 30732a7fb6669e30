namespace Lime.Bench;

/// <summary>A command line or set-up the bench cannot run (exit 2), found after parsing: a non-loopback URL, no server PID, …</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace Lime.Bench;

/// <summary>A command line the bench cannot run; the message (if any) is printed above the usage text.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string? message)
        : base(message ?? "")
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

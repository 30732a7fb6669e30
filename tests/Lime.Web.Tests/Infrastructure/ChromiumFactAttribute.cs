using System.Runtime.CompilerServices;

namespace Lime.Web.Tests.Infrastructure;

/// <summary>
/// A browser test. Skipped on a machine without Debian's Chromium (/usr/bin/chromium), except when the environment
/// variable <c>CI</c> is set: there a missing browser is a failure (the test runs and the fixture explains why).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!File.Exists(Browser.ChromiumPath) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = $"{Browser.ChromiumPath} not found (apt-get install chromium); browser tests are skipped outside CI.";
        }
    }
}

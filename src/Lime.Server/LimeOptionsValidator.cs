using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Lime.Server;

/// <summary>
/// Checks the whole <c>Lime</c> tree at start: every data annotation of every nested group (source-generated, so
/// nested groups are not skipped as <c>ValidateDataAnnotations</c> skips them), then the rules that span keys. Every
/// failure names its configuration key (<c>Lime:Storage:MaxBatch</c>), so the operator knows what to fix.
/// </summary>
public sealed partial class LimeOptionsValidator : IValidateOptions<LimeOptions>
{
    private readonly LimeOptionsAnnotations _annotations = new();

    public ValidateOptionsResult Validate(string? name, LimeOptions options)
    {
        var errors = new List<string>();
        // Named "Lime", the generated validator calls each member "Lime.Storage.MaxBatch"; the key is the same path with ':'.
        var annotations = _annotations.Validate(LimeOptions.Section, options);
        if (annotations.Failed)
        {
            errors.AddRange(annotations.Failures.Select(f => MemberPath().Replace(f, m => m.Value.Replace('.', ':'))));
        }

        if (options.Storage.Provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(options.Storage.PostgresConnectionString))
        {
            errors.Add("Lime:Storage:PostgresConnectionString is required when Lime:Storage:Provider is 'postgres'.");
        }

        if (options.Fanout.Provider == FanoutProvider.Redis && string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            errors.Add("Lime:Redis:Configuration is required when Lime:Fanout:Provider is 'redis'.");
        }

        if (!string.IsNullOrEmpty(options.Auth.SigningKey) && !IsSigningKey(options.Auth.SigningKey))
        {
            errors.Add("Lime:Auth:SigningKey must be base64 of at least 32 bytes (or empty: generated into the data directory).");
        }

        if (options.Cluster.PublicUrl.Length > 0 && !(Uri.TryCreate(options.Cluster.PublicUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            errors.Add($"Lime:Cluster:PublicUrl must be an absolute http(s) URL, not '{options.Cluster.PublicUrl}'.");
        }

        ValidateOwnership(options, errors);
        ValidateMetrics(options.Metrics, errors);
        if (options.Tracing.OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            errors.Add($"Lime:Tracing:OtlpProtocol must be 'grpc' or 'http/protobuf', not '{options.Tracing.OtlpProtocol}'.");
        }

        if (options.Tracing.OtlpEndpoint.Length > 0 && !(Uri.TryCreate(options.Tracing.OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
        {
            errors.Add($"Lime:Tracing:OtlpEndpoint must be an absolute http(s) URL, not '{options.Tracing.OtlpEndpoint}'.");
        }

        long reply = options.Limits.LargestReplyBytes;
        if (options.Realtime.SendQueueBytes < 2 * reply)
        {
            errors.Add($"Lime:Realtime:SendQueueBytes must hold two of the largest replies ({2 * reply} bytes with this " +
                "Lime:Limits:MaxReplyBytes and Lime:Limits:MaxTextBytes).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateOwnership(LimeOptions options, List<string> errors)
    {
        var cluster = options.Cluster;
        if (!Enum.IsDefined(cluster.Ownership))
        {
            errors.Add("Lime:Cluster:Ownership must be auto, on or off.");
        }

        if (cluster.Ownership == OwnershipMode.On && options.Storage.Provider != StorageProvider.Postgres)
        {
            errors.Add("Lime:Cluster:Ownership 'on' needs Lime:Storage:Provider 'postgres' (SQLite is one node).");
        }

        foreach (var (key, value) in new[] { ("InternalUrl", cluster.InternalUrl), ("InternalListen", cluster.InternalListen) })
        {
            if (value.Length > 0 && !(Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme == "http" && !url.IsDefaultPort && url.AbsolutePath == "/"))
            {
                errors.Add($"Lime:Cluster:{key} must be empty or an http URL with a port and no path (http://10.0.0.5:5090), not '{value}'.");
            }
        }

        if (cluster.Ownership == OwnershipMode.On && cluster.InternalUrl.Length == 0)
        {
            errors.Add("Lime:Cluster:InternalUrl is required when Lime:Cluster:Ownership is 'on': the URL other nodes forward this node's rooms' writes to.");
        }
    }

    private static void ValidateMetrics(MetricsOptions metrics, List<string> errors)
    {
        if (!metrics.Path.StartsWith('/'))
        {
            errors.Add($"Lime:Metrics:Path must start with '/', not '{metrics.Path}'.");
        }

        if (metrics.Listen.Length > 0 && !(Uri.TryCreate(metrics.Listen, UriKind.Absolute, out var listen) && listen.Scheme == "http"
            && !listen.IsDefaultPort && listen.AbsolutePath == "/"))
        {
            errors.Add($"Lime:Metrics:Listen must be empty or an http URL with a port and no path (http://0.0.0.0:9464), not '{metrics.Listen}'.");
        }

        string[] networks = metrics.AllowedNetworks ?? [];
        for (int i = 0; i < networks.Length; i++)
        {
            if (!System.Net.IPNetwork.TryParse(networks[i], out _))
            {
                errors.Add($"Lime:Metrics:AllowedNetworks:{i} is '{networks[i]}', which is not a network in CIDR form (10.0.0.0/8, ::1/128).");
            }
        }
    }

    private static bool IsSigningKey(string base64)
    {
        Span<byte> bytes = stackalloc byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out int length) && length >= 32;
    }

    [GeneratedRegex(@"\bLime(\.[A-Za-z]+)+\b")]
    private static partial Regex MemberPath();
}

/// <summary>The data annotations of the whole tree, nested groups included (generated by Microsoft.Extensions.Options).</summary>
[OptionsValidator]
internal sealed partial class LimeOptionsAnnotations : IValidateOptions<LimeOptions>
{
}

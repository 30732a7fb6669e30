using System.Collections;

namespace Lime.Server.Diagnostics;

/// <summary>
/// With JSON logs, every line written while a request runs carries its id (<c>RequestId</c>, the same value as the
/// <c>traceId</c> of a problem response when tracing is off), so one request's lines can be found together. A socket's
/// lines carry the id of its upgrade request. One small object per request, only in this mode.
/// </summary>
public static class RequestLogScope
{
    public static IApplicationBuilder UseRequestLogScope(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lime.Requests");
        return app.Use(async (context, next) =>
        {
            using (log.BeginScope(new Scope(context.TraceIdentifier)))
            {
                await next(context);
            }
        });
    }

    private sealed class Scope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "RequestId:" + requestId;
    }
}

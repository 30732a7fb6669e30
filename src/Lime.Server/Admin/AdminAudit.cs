using System.Text;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Microsoft.Extensions.Options;

namespace Lime.Server.Admin;

/// <summary>
/// The filter on every /api/admin route: admits the user ids in <c>Lime:Push:AdminUserIds</c> only (anyone else:
/// 403 forbidden, the handler never runs, so nothing is done), and records every call it sees, allowed or refused,
/// in <c>admin_audit</c>: caller, method and route pattern, target (the route's id), parameters (route, query and
/// body fields: the admin API takes no secret) and outcome (ok or the ProblemDetails code) with its status. Requests
/// refused before any filter runs are not recorded: unauthenticated ones (401, no caller) and bodies that do not
/// parse (400).
/// </summary>
public sealed class AdminAudit(AdminStore store, IOptions<LimeOptions> options, TimeProvider time, ILogger<AdminAudit> log) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        long caller = http.User.UserId();
        string outcome = "ok";
        int status = StatusCodes.Status200OK;
        try
        {
            if (!IsAdmin(caller))
            {
                throw LimeException.Forbidden("Only the administrators listed in Lime:Push:AdminUserIds may do this.");
            }

            var result = await next(context);
            status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
            return result;
        }
        catch (LimeException e)
        {
            (outcome, status) = (e.Code, e.HttpStatus);
            throw;
        }
        catch (BadHttpRequestException e)
        {
            (outcome, status) = (ErrorCodes.Validation, e.StatusCode);
            throw;
        }
        catch (Exception)
        {
            (outcome, status) = (ErrorCodes.Internal, StatusCodes.Status500InternalServerError);
            throw;
        }
        finally
        {
            await RecordAsync(context, caller, outcome, status);
        }
    }

    public bool IsAdmin(long userId) => options.Value.Push.AdminUserIds.Contains(userId);

    private async Task RecordAsync(EndpointFilterInvocationContext context, long caller, string outcome, int status)
    {
        var http = context.HttpContext;
        string pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? "";
        string action = http.Request.Method + " " + pattern;
        try
        {
            // Not the request's token: the call happened, so its record is written even if the client went away.
            await store.AuditAsync(caller, action, Target(http, pattern), Parameters(context), outcome, status, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        }
        catch (Exception e)
        {
            AdminLog.AuditFailed(log, action, e);
            throw;
        }
    }

    private static string? Target(HttpContext http, string pattern)
    {
        if (http.Request.RouteValues.TryGetValue("id", out var id) && id is not null)
        {
            string kind = pattern.Contains("/users/", StringComparison.Ordinal) ? "user" : pattern.Contains("/rooms/", StringComparison.Ordinal) ? "room" : "id";
            return kind + ":" + id;
        }

        return null;
    }

    /// <summary>{"route":{..},"query":{..},"body":{..}}: every value the call was given, none of which is a secret.</summary>
    private static string? Parameters(EndpointFilterInvocationContext context)
    {
        var http = context.HttpContext;
        object? body = context.Arguments.FirstOrDefault(a => a is not null && a.GetType().Namespace == typeof(ErrorCodes).Namespace);
        var route = http.Request.RouteValues.Where(kv => kv.Key is not ("id" or "action" or "controller")).ToList();
        if (route.Count == 0 && http.Request.Query.Count == 0 && body is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (route.Count > 0)
            {
                json.WriteStartObject("route");
                foreach (var (key, value) in route)
                {
                    json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                }

                json.WriteEndObject();
            }

            if (http.Request.Query.Count > 0)
            {
                json.WriteStartObject("query");
                foreach (var (key, value) in http.Request.Query)
                {
                    json.WriteString(key, value.ToString());
                }

                json.WriteEndObject();
            }

            if (body is not null)
            {
                json.WritePropertyName("body");
                JsonSerializer.Serialize(json, body, body.GetType(), LimeJsonContext.Default);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

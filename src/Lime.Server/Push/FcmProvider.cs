using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Lime.Protocol;

namespace Lime.Server.Push;

/// <summary>
/// Firebase Cloud Messaging HTTP v1: POST {endpoint}/v1/projects/{project}/messages:send with a bearer access token
/// from the service account (<see cref="GoogleAccessTokens"/>). The notification carries title/body, data (room,
/// seq, count, badge, key), an Android collapse key and tag (per room, so the device replaces rather than stacks)
/// and the APNs badge for iOS devices reached through FCM.
/// 404 UNREGISTERED, 403 SENDER_ID_MISMATCH and a 400 naming the token = the token is gone (removed);
/// 401 = access token refused (dropped, retried); 429/5xx = retry; other = rejected.
/// </summary>
public sealed class FcmProvider : IPushProvider, IDisposable
{
    private readonly HttpClient _http = PushHttp.CreateClient();
    private readonly GoogleAccessTokens _tokens;
    private readonly Uri _send;
    private readonly TimeSpan _timeout;

    public FcmProvider(FcmOptions options, TimeSpan timeout, TimeProvider time)
    {
        string json = options.ServiceAccountJson.Length > 0 ? options.ServiceAccountJson : File.ReadAllText(options.ServiceAccountFile);
        _tokens = new GoogleAccessTokens(_http, json, options.TokenEndpoint, time);
        string project = options.ProjectId.Length > 0 ? options.ProjectId : _tokens.ProjectId;
        if (project.Length == 0)
        {
            throw new InvalidOperationException("Lime:Push:Fcm:ProjectId is empty and the service account has no project_id.");
        }

        var endpoint = new Uri(options.Endpoint.EndsWith('/') ? options.Endpoint : options.Endpoint + "/");
        _send = new Uri(endpoint, $"v1/projects/{Uri.EscapeDataString(project)}/messages:send");
        _timeout = timeout;
    }

    public string Kind => PushKinds.Fcm;

    public async Task<PushResult> SendAsync(PushTarget target, PushNotification notification, CancellationToken ct)
    {
        var n = notification;
        string accessToken;
        try
        {
            accessToken = await _tokens.GetAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return PushResult.Retry("FCM access token: " + e.Message);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _send) { Content = new ByteArrayContent(Body(target.Token, n)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await PushHttp.SendAsync(_http, request, _timeout, async response =>
        {
            if (response.IsSuccessStatusCode)
            {
                return PushResult.Delivered;
            }

            string body = await PushHttp.BodyAsync(response, 2000);
            int status = (int)response.StatusCode;
            string code = ErrorCode(body);
            if ((status == 404 && code is "UNREGISTERED" or "NOT_FOUND") || code is "UNREGISTERED" or "SENDER_ID_MISMATCH"
                || (status == 400 && body.Contains("registration token", StringComparison.OrdinalIgnoreCase)))
            {
                return PushResult.Invalid($"FCM {status} {code}");
            }

            if (status == 401)
            {
                _tokens.Invalidate(accessToken);
                return PushResult.Retry("FCM 401: access token refused");
            }

            return PushResult.FromHttp(response, code);
        }, ct);
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _http.Dispose();
    }

    private static byte[] Body(string token, PushNotification n) => Jwt.Json(w =>
    {
        w.WriteStartObject("message");
        w.WriteString("token", token);
        w.WriteStartObject("notification");
        w.WriteString("title", n.Title);
        w.WriteString("body", n.Body);
        w.WriteEndObject();
        w.WriteStartObject("data"); // FCM data values are strings
        w.WriteString("room", n.Room.ToString(CultureInfo.InvariantCulture));
        w.WriteString("seq", n.Seq.ToString(CultureInfo.InvariantCulture));
        w.WriteString("count", n.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteString("badge", n.Badge.ToString(CultureInfo.InvariantCulture));
        w.WriteString("key", n.Key);
        if (n.Sender is not null)
        {
            w.WriteString("sender", n.Sender);
        }

        w.WriteEndObject();
        w.WriteStartObject("android");
        w.WriteString("collapse_key", n.CollapseId);
        w.WriteString("priority", "HIGH");
        w.WriteStartObject("notification");
        w.WriteString("tag", n.CollapseId);
        w.WriteNumber("notification_count", n.Badge);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("apns");
        w.WriteStartObject("headers");
        w.WriteString("apns-collapse-id", n.CollapseId);
        w.WriteEndObject();
        w.WriteStartObject("payload");
        w.WriteStartObject("aps");
        w.WriteNumber("badge", n.Badge);
        w.WriteString("thread-id", n.CollapseId);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>The FcmError errorCode in error.details, else error.status.</summary>
    private static string ErrorCode(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("error", out var error))
            {
                return "";
            }

            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var d in details.EnumerateArray())
                {
                    if (d.TryGetProperty("errorCode", out var code) && code.GetString() is { } s)
                    {
                        return s;
                    }
                }
            }

            return error.TryGetProperty("status", out var status) ? status.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}

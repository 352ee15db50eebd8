using System.Text;
using FleetMfa.Grains;
using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using FleetMfa.Silo.Api.Responses;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FleetMfa.Silo.Api.Auditing;

/// <summary>
/// Writes an operator record for every mutating admin API call that got past authentication — who (admin or operator
/// key id and name), what (the route's action), on what (the ids in the route), when, and the outcome (<c>succeeded</c>
/// or the refusal's code). Request bodies are never recorded: no secret, code or key reaches the trail.
/// </summary>
public sealed partial class OperatorAuditRecorder(IAuditLog auditLog, TimeProvider time, FleetMetrics metrics, ILogger<OperatorAuditRecorder> logger)
{
    public const string Succeeded = "succeeded";

    /// <summary>The outcome of a record stored before its call ran; replaced by the call's outcome once it returns.</summary>
    public const string Started = "started";

    public static bool IsMutating(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
    }

    /// <summary>
    /// Stores the record of a mutating call before the call runs, with outcome <see cref="Started"/>; null when the
    /// trail cannot be written — the call must then not run, so no change is ever made without its record.
    /// </summary>
    public async Task<AuditEntry?> BeginAsync(HttpContext http, ApiCaller caller, string orgId, IList<object?> arguments)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(arguments);
        var (action, detail) = Describe(EndpointName(http), arguments);
        var target = RouteTarget(http, orgId);
        var now = time.GetUtcNow();
        var entry = new AuditEntry(
            orgId, NewId(), now, AuditKind.Operator, caller.AuditActor, caller.KeyName, action, target.Text,
            target.DeviceId, target.UserId, null, Started, detail, false, now);
        try
        {
            await auditLog.AppendAsync([entry], CancellationToken.None);
            metrics.AuditRecorded(AuditKind.Operator, 1);
            return entry;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRecordFailed(logger, orgId, action, http.Request.Path, ex);
            return null;
        }
    }

    /// <summary>Puts the outcome of a call that returned <paramref name="result"/> (and what it created) in its <see cref="Started"/> record's place.</summary>
    public Task CompleteAsync(HttpContext http, AuditEntry started, object? result)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(started);
        var created = CreatedKeyTarget(EndpointName(http), result);
        return ReplaceAsync(http, started with { Outcome = OutcomeOf(result), Target = created?.Text ?? started.Target });
    }

    /// <summary>Puts the outcome of a call that threw <paramref name="exception"/> (a refusal, or a failure) in its record's place.</summary>
    public Task CompleteAsync(HttpContext http, AuditEntry started, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(started);
        var outcome = exception switch
        {
            FleetMfaException refusal => refusal.Code,
            BadHttpRequestException => ErrorCodes.Validation,
            _ => ErrorCodes.Internal,
        };
        return ReplaceAsync(http, started with { Outcome = outcome });
    }

    /// <summary>An agent enrolled a device with a connect key (no operator involved, but an operator's key was used).</summary>
    public Task RecordAgentEnrollmentAsync(HttpContext http, string orgId, string connectKeyId, string deviceId)
    {
        var entry = new AuditEntry(
            orgId, NewId(), time.GetUtcNow(), AuditKind.Operator, $"connect-key:{connectKeyId}", null, "enroll-agent",
            $"device:{deviceId}", deviceId, null, null, Succeeded, null, false, time.GetUtcNow());
        return AppendAsync(http, entry);
    }

    /// <summary>
    /// A refused authentication against <paramref name="orgId"/>: action <c>authenticate</c>, the outcome the refusal's
    /// code, the detail the method, path and client address. The key itself is never recorded, only its id.
    /// </summary>
    public Task RecordRefusalAsync(HttpContext http, string orgId, string actor, string? actorName, string outcome, string address)
    {
        ArgumentNullException.ThrowIfNull(http);
        var path = http.Request.Path.Value ?? "";
        var detail = $"{http.Request.Method} {(path.Length > 120 ? path[..120] : path)} from {address}";
        var now = time.GetUtcNow();
        var entry = new AuditEntry(orgId, NewId(), now, AuditKind.Operator, actor, actorName, "authenticate", $"org:{orgId}", null, null, null, outcome, detail, false, now);
        return AppendAsync(http, entry);
    }

    private async Task ReplaceAsync(HttpContext http, AuditEntry entry)
    {
        try
        {
            await auditLog.ReplaceAsync(entry, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change is done (or refused) and its record says "started": the trail still shows it was attempted.
            LogRecordFailed(logger, entry.OrgId, entry.Action, http.Request.Path, ex);
        }
    }

    private async Task AppendAsync(HttpContext http, AuditEntry entry)
    {
        try
        {
            await auditLog.AppendAsync([entry], CancellationToken.None);
            metrics.AuditRecorded(AuditKind.Operator, 1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change itself is done (or refused); failing the request now would misreport it.
            LogRecordFailed(logger, entry.OrgId, entry.Action, http.Request.Path, ex);
        }
    }

    private static string NewId() => $"op:{Guid.NewGuid():N}";

    private static string EndpointName(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? $"{http.Request.Method} {http.Request.Path}";

    /// <summary>The action is the route's name in kebab-case; a switch is named for the way it was flipped.</summary>
    private static (string Action, string? Detail) Describe(string endpointName, IList<object?> arguments)
    {
        foreach (var argument in arguments)
        {
            switch (argument)
            {
                case TotpSwitchRequest totp:
                    return (totp.Enabled ? "enable-org-totp" : "disable-org-totp", null);
                case EnableMfaRequest { Force: true }:
                    return (Kebab(endpointName), "force");
                case CreateRolloutRequest rollout:
                    var scope = rollout.DeviceIds is { } ids ? $"{ids.Count} devices" : $"filter os={rollout.Filter?.Os?.ToString().ToLowerInvariant() ?? "any"}";
                    return (rollout.Action == RolloutAction.EnableMfa ? "rollout-enable-mfa" : "rollout-disable-mfa", rollout.Force ? $"{scope}, force" : scope);
            }
        }

        return (Kebab(endpointName), null);
    }

    /// <summary>What a creating call made: the new key (its id, never the key) or the new rollout.</summary>
    private static Target? CreatedKeyTarget(string endpointName, object? result) => Unwrap(result) switch
    {
        IValueHttpResult { Value: ApiKeyCreated created } =>
            new Target(endpointName == "CreateConnectKey" ? $"connect-key:{created.KeyId}" : $"api-key:{created.KeyId}", null, null),
        IValueHttpResult { Value: RolloutResponse rollout } => new Target($"rollout:{rollout.RolloutId}", null, null),
        _ => null,
    };

    private static Target RouteTarget(HttpContext http, string orgId)
    {
        var values = http.Request.RouteValues;
        var deviceId = values["deviceId"] as string is { } d && Slug.IsValid(d) ? d : null;
        var userId = values["userId"] as string is { } u && Slug.IsValid(u) ? u : null;
        var parts = new List<string>(2);
        if (deviceId is not null)
        {
            parts.Add($"device:{deviceId}");
        }

        if (userId is not null)
        {
            parts.Add($"user:{userId}");
        }

        if (values["keyId"] as string is { Length: 16 } keyId && keyId.All(char.IsAsciiHexDigitLower))
        {
            var operatorKey = http.Request.Path.Value?.Contains("/api-keys/", StringComparison.Ordinal) == true;
            parts.Add($"{(operatorKey ? "api-key" : "connect-key")}:{keyId}");
        }

        if (values["rolloutId"] as string is { } rolloutId && Slug.IsValid(rolloutId))
        {
            parts.Add($"rollout:{rolloutId}");
        }

        return new Target(parts.Count == 0 ? $"org:{orgId}" : string.Join('/', parts), deviceId, userId);
    }

    private static string OutcomeOf(object? result) => Unwrap(result) switch
    {
        ProblemHttpResult problem => problem.ProblemDetails.Extensions.TryGetValue("code", out var code) && code is string c ? c : ErrorCodes.Internal,
        IStatusCodeHttpResult { StatusCode: StatusCodes.Status404NotFound } => ErrorCodes.NotFound,
        IStatusCodeHttpResult { StatusCode: StatusCodes.Status409Conflict } => ErrorCodes.Conflict,
        IStatusCodeHttpResult { StatusCode: >= 500 } => ErrorCodes.Internal,
        IStatusCodeHttpResult { StatusCode: >= 400 } => ErrorCodes.Validation,
        _ => Succeeded,
    };

    private static object? Unwrap(object? result) => result is INestedHttpResult nested ? nested.Result : result;

    private static string Kebab(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                if (text.Length > 0)
                {
                    text.Append('-');
                }

                text.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsAsciiLetterOrDigit(c))
            {
                text.Append(c);
            }
            else if (text.Length > 0 && text[^1] != '-')
            {
                text.Append('-');
            }
        }

        return text.ToString().Trim('-');
    }

    private sealed record Target(string Text, string? DeviceId, string? UserId);

    [LoggerMessage(400, LogLevel.Error, "Audit record of {OrgId} {Action} ({Path}) could not be stored")]
    private static partial void LogRecordFailed(ILogger logger, string orgId, string action, PathString path, Exception exception);
}

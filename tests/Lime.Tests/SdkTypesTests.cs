using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lime.Protocol;

namespace Lime.Tests;

/// <summary>
/// The web SDK's wire types (web/src/sdk/types.ts) against the protocol records (src/Lime.Protocol): every record the
/// web client uses has an interface of the same name with exactly the same JSON field names, of matching kinds
/// (number, string, boolean, array, record), optional exactly where the server may omit the field (it writes no
/// nulls); every frame type has its interface and is in the <c>ServerFrame</c> union or the <c>ClientFrame</c> type
/// union; and every other record is listed in <see cref="NotInWebClient"/>, so a new record is a decision, not an
/// accident.
/// </summary>
public sealed partial class SdkTypesTests
{
    /// <summary>Protocol records the web client does not use (yet). Adding one to types.ts means removing it here.</summary>
    private static readonly Dictionary<string, string> NotInWebClient = new()
    {
        [nameof(ServerFrameHeader)] = "the .NET client's frame router; not a message of its own",
        [nameof(HealthResponse)] = "operations endpoint",
        [nameof(NodeDto)] = "cluster node list (the web client connects to the origin it was served from)",
        [nameof(DeviceDto)] = "device management screen not built",
        [nameof(SetRoleRequest)] = "role management not in the web client",
        [nameof(PrivacyRequest)] = "settings screen not built (issue 20)",
        [nameof(MentionListResponse)] = "mentions screen not built",
        [nameof(BanDto)] = "moderation not in the web client",
        [nameof(BanListResponse)] = "moderation not in the web client",
        [nameof(RegisterPushRequest)] = "Web Push registration not built (issue 20)",
        [nameof(WebPushSubscriptionDto)] = "Web Push registration not built (issue 20)",
        [nameof(WebPushKeysDto)] = "Web Push registration not built (issue 20)",
        [nameof(PushTargetDto)] = "Web Push registration not built (issue 20)",
        [nameof(PushTargetListResponse)] = "Web Push registration not built (issue 20)",
        [nameof(PushConfigResponse)] = "Web Push registration not built (issue 20)",
        [nameof(PushSettingsDto)] = "notification settings not built (issue 20)",
        [nameof(QuietHoursDto)] = "notification settings not built (issue 20)",
        [nameof(MuteRoomRequest)] = "notification settings not built (issue 20)",
        [nameof(RoomMuteDto)] = "notification settings not built (issue 20)",
        [nameof(RoomMuteListResponse)] = "notification settings not built (issue 20)",
        [nameof(AttachmentLinkDto)] = "attachments not in the web client yet (issue 16)",
        [nameof(SearchStatsResponse)] = "admin endpoint",
        [nameof(DeadLetterDto)] = "admin endpoint",
        [nameof(DeadLetterListResponse)] = "admin endpoint",
        [nameof(RequeueRequest)] = "admin endpoint",
        [nameof(RequeueResponse)] = "admin endpoint",
        [nameof(PushStatsResponse)] = "admin endpoint",
        [nameof(LagSummaryDto)] = "admin endpoint",
        [nameof(AdminUserDto)] = "admin endpoint",
        [nameof(AdminUserListResponse)] = "admin endpoint",
        [nameof(AdminRoomDto)] = "admin endpoint",
        [nameof(AdminRoomListResponse)] = "admin endpoint",
        [nameof(AdminLogoutResponse)] = "admin endpoint",
        [nameof(PurgeRequest)] = "admin endpoint",
        [nameof(PurgeResponse)] = "admin endpoint",
        [nameof(DailyCount)] = "admin endpoint",
        [nameof(AdminStatsResponse)] = "admin endpoint",
        [nameof(AuditEntryDto)] = "admin endpoint",
        [nameof(AuditListResponse)] = "admin endpoint",
        [nameof(SetRetentionRequest)] = "room settings not in the web client",
        [nameof(DeleteAccountRequest)] = "account settings not in the web client",
    };

    [Fact]
    public void Every_protocol_record_has_its_counterpart_in_the_web_sdk_types_or_is_listed_as_unused()
    {
        var ts = TsTypes.Parse(File.ReadAllText(TypesTsPath()));
        var problems = Compare(ProtocolRecords(), ts);
        Assert.True(problems.Count == 0, "web/src/sdk/types.ts differs from Lime.Protocol:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Every_frame_type_and_event_and_room_kind_is_in_the_web_sdk_unions()
    {
        var ts = TsTypes.Parse(File.ReadAllText(TypesTsPath()));
        var problems = new List<string>();

        var clientTypes = StringLiterals(ts, ts.Interfaces["ClientFrame"]["type"].Type);
        foreach (var name in Constants(typeof(ClientFrameTypes)).Where(n => !clientTypes.Contains(n)))
        {
            problems.Add($"ClientFrame.type lacks '{name}'");
        }

        // Each server frame record's `type` and the interface that carries it, then the union that lists them.
        var union = ts.Aliases["ServerFrame"].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var frames = ProtocolRecords().Where(r => r.Name.EndsWith("Frame", StringComparison.Ordinal) && r != typeof(ClientFrame)).ToList();
        var announced = new HashSet<string>();
        foreach (var frame in frames)
        {
            var type = (string)frame.GetProperty("Type")!.GetValue(System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(frame))!;
            announced.Add(type);
            if (!ts.Interfaces.TryGetValue(frame.Name, out var fields))
            {
                problems.Add($"{frame.Name} (type '{type}') has no interface");
                continue;
            }

            if (!fields.TryGetValue("type", out var field) || field.Type != $"'{type}'")
            {
                problems.Add($"{frame.Name}.type should be '{type}'");
            }

            if (!union.Contains(frame.Name))
            {
                problems.Add($"ServerFrame lacks {frame.Name}");
            }
        }

        foreach (var name in Constants(typeof(ServerFrameTypes)).Where(n => !announced.Contains(n)))
        {
            problems.Add($"no frame record has type '{name}'");
        }

        // The string unions of the protocol's constants.
        var eventKinds = StringLiterals(ts, ts.Aliases["EventKind"]);
        problems.AddRange(Constants(typeof(EventKinds)).Where(k => !eventKinds.Contains(k)).Select(k => $"EventKind lacks '{k}'"));
        var roomKinds = StringLiterals(ts, ts.Aliases["RoomKind"]);
        problems.AddRange(Constants(typeof(RoomKinds)).Where(k => !roomKinds.Contains(k)).Select(k => $"RoomKind lacks '{k}'"));

        Assert.True(problems.Count == 0, "web/src/sdk/types.ts frame unions:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void The_comparison_reports_a_missing_field_a_wrong_kind_a_wrong_optionality_and_a_missing_interface()
    {
        // The checker itself can fail: UserDto without display_name, with a string id, and an optional username.
        var ts = TsTypes.Parse("""
            /** A user. */
            export interface UserDto {
              id: string;
              username?: string; // comment
              created_at: number;
            }
            """);
        var problems = Compare([typeof(UserDto), typeof(TokenResponse)], ts);
        Assert.Contains("UserDto.display_name is missing", problems);
        Assert.Contains("UserDto.id should be number, is string", problems);
        Assert.Contains("UserDto.username is optional, but the server always writes it", problems);
        Assert.Contains("TokenResponse has no interface (add it, or list it in NotInWebClient with a reason)", problems);

        var real = TsTypes.Parse(File.ReadAllText(TypesTsPath()));
        Assert.Equal(["created_at", "display_name", "id", "username"], real.Interfaces["UserDto"].Keys.Order());
    }

    private static List<string> Compare(IEnumerable<Type> records, TsTypes ts)
    {
        var problems = new List<string>();
        var names = new HashSet<string>();
        foreach (var record in records)
        {
            names.Add(record.Name);
            bool listed = NotInWebClient.ContainsKey(record.Name);
            if (!ts.Interfaces.TryGetValue(record.Name, out var fields))
            {
                if (!listed)
                {
                    problems.Add($"{record.Name} has no interface (add it, or list it in NotInWebClient with a reason)");
                }

                continue;
            }

            if (listed)
            {
                problems.Add($"{record.Name} is in types.ts: remove it from NotInWebClient");
            }

            bool request = record.Name.EndsWith("Request", StringComparison.Ordinal) || record == typeof(ClientFrame);
            var wire = WireProperties(record);
            foreach (var (json, (clrType, nullable)) in wire)
            {
                if (!fields.TryGetValue(json, out var field))
                {
                    problems.Add($"{record.Name}.{json} is missing");
                    continue;
                }

                if (!request && field.Optional != nullable)
                {
                    problems.Add(nullable
                        ? $"{record.Name}.{json} must be optional (the server omits it when null)"
                        : $"{record.Name}.{json} is optional, but the server always writes it");
                }
                else if (request && field.Optional && !nullable)
                {
                    problems.Add($"{record.Name}.{json} must be required (the server requires it)");
                }

                // ClientFrame.type is a string on the server and a union of the frame types here (checked separately).
                if (!(record == typeof(ClientFrame) && json == "type") && !ts.Matches(clrType, field.Type, out var expected))
                {
                    problems.Add($"{record.Name}.{json} should be {expected}, is {field.Type}");
                }
            }

            foreach (var extra in fields.Keys.Where(k => !wire.ContainsKey(k)))
            {
                problems.Add($"{record.Name}.{extra} is not on the wire");
            }
        }

        foreach (var name in ts.Interfaces.Keys.Where(n => !names.Contains(n) && ProtocolRecords().All(r => r.Name != n)))
        {
            problems.Add($"interface {name} has no protocol record");
        }

        return problems;
    }

    /// <summary>JSON name → (CLR type, may be null/absent) as the one serializer context writes it.</summary>
    private static Dictionary<string, (Type Type, bool Nullable)> WireProperties(Type record)
    {
        var nullability = new NullabilityInfoContext();
        var properties = record.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var info = LimeJsonContext.Default.GetTypeInfo(record);
        var result = new Dictionary<string, (Type, bool)>();
        if (info is not null)
        {
            foreach (var p in info.Properties)
            {
                var clr = p.AttributeProvider as PropertyInfo
                    ?? properties.Single(x => JsonNamingPolicy.SnakeCaseLower.ConvertName(x.Name) == p.Name);
                result[p.Name] = (p.PropertyType, IsNullable(clr, nullability));
            }
        }
        else
        {
            foreach (var clr in properties)
            {
                result[JsonNamingPolicy.SnakeCaseLower.ConvertName(clr.Name)] = (clr.PropertyType, IsNullable(clr, nullability));
            }
        }

        return result;
    }

    private static bool IsNullable(PropertyInfo p, NullabilityInfoContext context) =>
        Nullable.GetUnderlyingType(p.PropertyType) is not null || context.Create(p).ReadState == NullabilityState.Nullable;

    /// <summary>The records of the wire: public sealed records of Lime.Protocol.</summary>
    private static List<Type> ProtocolRecords() =>
        typeof(LimeJsonContext).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Lime.Protocol" && t.IsClass && t.IsSealed && t.GetMethod("<Clone>$") is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    private static IEnumerable<string> Constants(Type holder) =>
        holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    private static HashSet<string> StringLiterals(TsTypes ts, string type) =>
        type.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(part => part.StartsWith('\'') ? [part.Trim('\'')] : ts.Aliases.TryGetValue(part, out var a) ? StringLiterals(ts, a) : [])
            .ToHashSet();

    private static string TypesTsPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "web", "src", "sdk", "types.ts");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("web/src/sdk/types.ts not found above " + AppContext.BaseDirectory);
    }

    private sealed record TsField(string Type, bool Optional);

    /// <summary>The interfaces and type aliases of a TypeScript file of plain declarations (no nested object types).</summary>
    private sealed partial class TsTypes
    {
        public Dictionary<string, Dictionary<string, TsField>> Interfaces { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

        public static TsTypes Parse(string source)
        {
            var text = Comment().Replace(source, ""); // whichever starts first: a line comment may hold "/*" and vice versa
            var ts = new TsTypes();
            foreach (Match m in Interface().Matches(text))
            {
                var fields = new Dictionary<string, TsField>(StringComparer.Ordinal);
                foreach (var member in m.Groups["body"].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var f = Field().Match(member);
                    Assert.True(f.Success, $"cannot read member '{member}' of {m.Groups["name"].Value}");
                    fields[f.Groups["name"].Value] = new TsField(Normalize(f.Groups["type"].Value), f.Groups["opt"].Success);
                }

                ts.Interfaces[m.Groups["name"].Value] = fields;
            }

            foreach (Match m in Alias().Matches(text))
            {
                ts.Aliases[m.Groups["name"].Value] = Normalize(m.Groups["type"].Value);
            }

            return ts;
        }

        /// <summary>Whether a TypeScript type expression can hold what the server writes for <paramref name="clr"/>.</summary>
        public bool Matches(Type clr, string tsType, out string expected)
        {
            clr = Nullable.GetUnderlyingType(clr) ?? clr;
            var parts = tsType.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(p => p is not "null" and not "undefined").ToList();
            if (clr.IsArray)
            {
                var element = clr.GetElementType()!;
                Matches(element, "x", out var inner);
                expected = inner + "[]";
                return parts.Count == 1 && parts[0].EndsWith("[]", StringComparison.Ordinal) && Matches(element, parts[0][..^2], out _);
            }

            expected = Type.GetTypeCode(clr) switch
            {
                TypeCode.Int32 or TypeCode.Int64 or TypeCode.Double => "number",
                TypeCode.Boolean => "boolean",
                TypeCode.String => "string",
                _ => clr.Name,
            };
            var want = expected;
            return parts.Count > 0 && parts.All(p => want == "string" ? IsStringLike(p) : p == want);
        }

        private bool IsStringLike(string part) =>
            part == "string" || part.StartsWith('\'')
            || (Aliases.TryGetValue(part, out var alias)
                && alias.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).All(IsStringLike));

        private static string Normalize(string type) => Whitespace().Replace(type, " ").Trim().TrimStart('|').Trim();

        [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
        private static partial Regex Comment();

        [GeneratedRegex(@"export\s+interface\s+(?<name>\w+)\s*(?:extends\s+[^{]+)?\{(?<body>[^}]*)\}")]
        private static partial Regex Interface();

        [GeneratedRegex(@"^(?<name>\w+)(?<opt>\?)?\s*:\s*(?<type>.+)$", RegexOptions.Singleline)]
        private static partial Regex Field();

        [GeneratedRegex(@"export\s+type\s+(?<name>\w+)\s*=\s*(?<type>[^;]+);")]
        private static partial Regex Alias();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Whitespace();
    }
}

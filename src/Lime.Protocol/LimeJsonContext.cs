using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lime.Protocol;

/// <summary>The one source-generated serializer context for every REST body and socket frame.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(UserDto))]
[JsonSerializable(typeof(UpdateProfileRequest))]
[JsonSerializable(typeof(DeviceDto[]))]
[JsonSerializable(typeof(CreateRoomRequest))]
[JsonSerializable(typeof(CreateDirectRequest))]
[JsonSerializable(typeof(RoomDto))]
[JsonSerializable(typeof(RoomListResponse))]
[JsonSerializable(typeof(ChannelListResponse))]
[JsonSerializable(typeof(MemberListResponse))]
[JsonSerializable(typeof(AddMembersRequest))]
[JsonSerializable(typeof(SetRoleRequest))]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(AckDto))]
[JsonSerializable(typeof(EventDto))]
[JsonSerializable(typeof(EventDto[]))]
[JsonSerializable(typeof(HistoryPage))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ServerFrameHeader))]
[JsonSerializable(typeof(HelloFrame))]
[JsonSerializable(typeof(PongFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(EventFrame))]
[JsonSerializable(typeof(HistoryFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(SyncFrame))]
[JsonSerializable(typeof(ReadFrame))]
[JsonSerializable(typeof(TypingFrame))]
[JsonSerializable(typeof(PresenceFrame))]
[JsonSerializable(typeof(SyncRequest))]
[JsonSerializable(typeof(SyncResponse))]
[JsonSerializable(typeof(MarkReadRequest))]
[JsonSerializable(typeof(ReadStateDto))]
[JsonSerializable(typeof(ReadersResponse))]
[JsonSerializable(typeof(BadgeResponse))]
[JsonSerializable(typeof(ContactDto[]))]
[JsonSerializable(typeof(AddContactRequest))]
[JsonSerializable(typeof(PrivacyRequest))]
public sealed partial class LimeJsonContext : JsonSerializerContext;

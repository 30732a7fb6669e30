using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Lime.Server.Push;

namespace Lime.Tests.Push;

public sealed class WebPushEncryptionTests
{
    // RFC 8291, Appendix A.
    private const string Plaintext = "When I grow up, I want to be a watermelon";
    private const string AsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private const string AsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";
    private const string AuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string Body =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    [Fact]
    public void Encryption_reproduces_the_rfc_8291_appendix_a_body_byte_for_byte()
    {
        using var sender = Key(AsPrivate, AsPublic);
        byte[] body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Plaintext), B(UaPublic), B(AuthSecret), sender, B(Salt));
        Assert.Equal(Body, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void The_rfc_8291_body_decrypts_with_the_user_agent_keys()
    {
        using var receiver = new WebPushReceiver(Key(UaPrivate, UaPublic), B(AuthSecret));
        Assert.Equal(Plaintext, Encoding.UTF8.GetString(receiver.Decrypt(B(Body))));
    }

    [Fact]
    public void A_fresh_encryption_decrypts_with_the_subscription_keys_and_never_repeats()
    {
        using var receiver = new WebPushReceiver();
        byte[] message = Encoding.UTF8.GetBytes("""{"title":"Alice","body":"hi"}""");
        byte[] one = WebPushEncryption.Encrypt(message, receiver.PublicKey, receiver.Auth);
        byte[] two = WebPushEncryption.Encrypt(message, receiver.PublicKey, receiver.Auth);
        Assert.Equal(message, receiver.Decrypt(one));
        Assert.NotEqual(one, two); // fresh salt and sender key each time
    }

    [Fact]
    public void A_vapid_key_given_as_its_private_scalar_derives_its_public_key()
    {
        using var keys = VapidKeys.Load(UaPrivate, Path.GetTempPath(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(UaPublic, keys.PublicKeyBase64Url);
    }

    private static byte[] B(string s) => Base64Url.DecodeFromChars(s);

    private static ECDiffieHellman Key(string d, string q)
    {
        byte[] point = B(q);
        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = B(d),
            Q = new ECPoint { X = point[1..33], Y = point[33..65] },
        });
    }
}

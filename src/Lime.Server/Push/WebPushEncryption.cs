using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lime.Server.Push;

/// <summary>
/// Message encryption for Web Push (RFC 8291) in the aes128gcm content coding (RFC 8188), one record:
/// ECDH(P-256) between a fresh application-server key and the subscription's p256dh key, HKDF-SHA-256 keyed with the
/// subscription's auth secret to the IKM, then HKDF with a random 16-byte salt to the content key and nonce;
/// body = salt | rs | idlen | as_public | AES-128-GCM(plaintext | 0x02). Checked against the RFC 8291 appendix.
/// </summary>
public static class WebPushEncryption
{
    /// <summary>Record size written in the header; one record holds up to rs - 17 bytes of plaintext.</summary>
    public const int RecordSize = 4096;

    private static readonly byte[] KeyInfoPrefix = Encoding.ASCII.GetBytes("WebPush: info\0");
    private static readonly byte[] CekInfo = Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0");
    private static readonly byte[] NonceInfo = Encoding.ASCII.GetBytes("Content-Encoding: nonce\0");

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for a subscription. <paramref name="senderKey"/> and
    /// <paramref name="salt"/> are fresh unless given (the test vector gives them).
    /// </summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] userAgentPublicKey, byte[] authSecret, ECDiffieHellman? senderKey = null, byte[]? salt = null)
    {
        if (plaintext.Length > RecordSize - 17)
        {
            throw new ArgumentException($"A Web Push payload holds at most {RecordSize - 17} bytes.", nameof(plaintext));
        }

        if (authSecret.Length != 16)
        {
            throw new ArgumentException("The auth secret must be 16 bytes.", nameof(authSecret));
        }

        using var userAgent = ImportPublic(userAgentPublicKey);
        using var ownKey = senderKey is null ? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256) : null;
        var sender = senderKey ?? ownKey!;
        byte[] senderPublic = PublicBytes(sender);
        salt ??= RandomNumberGenerator.GetBytes(16);

        byte[] ecdhSecret = sender.DeriveRawSecretAgreement(userAgent.PublicKey);
        byte[] keyInfo = [.. KeyInfoPrefix, .. userAgentPublicKey, .. senderPublic];
        byte[] ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, ecdhSecret, 32, authSecret, keyInfo);
        byte[] cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, CekInfo);
        byte[] nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, NonceInfo);

        int headerLength = 16 + 4 + 1 + senderPublic.Length;
        byte[] body = new byte[headerLength + plaintext.Length + 1 + 16];
        salt.CopyTo(body, 0);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(16), RecordSize);
        body[20] = (byte)senderPublic.Length;
        senderPublic.CopyTo(body, 21);

        byte[] padded = new byte[plaintext.Length + 1];
        plaintext.CopyTo(padded);
        padded[^1] = 0x02; // delimiter of the last (only) record, no padding
        using var aes = new AesGcm(cek, 16);
        aes.Encrypt(nonce, padded, body.AsSpan(headerLength, padded.Length), body.AsSpan(headerLength + padded.Length, 16));
        return body;
    }

    /// <summary>The uncompressed point 0x04 | X | Y of a P-256 key.</summary>
    public static byte[] PublicBytes(ECAlgorithm key)
    {
        var p = key.ExportParameters(false);
        return [0x04, .. p.Q.X!, .. p.Q.Y!];
    }

    /// <summary>An ECDH public key from its uncompressed point; throws <see cref="CryptographicException"/> if it is not a P-256 point.</summary>
    public static ECDiffieHellman ImportPublic(byte[] point)
    {
        if (point.Length != 65 || point[0] != 0x04)
        {
            throw new CryptographicException("Expected an uncompressed P-256 point (65 bytes starting with 0x04).");
        }

        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..65] },
        });
    }
}

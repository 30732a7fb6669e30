using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lime.Tests.Push;

/// <summary>
/// The browser's half of RFC 8291, written independently of the server's code: a subscription's key pair and auth
/// secret, and decryption of an aes128gcm body with them.
/// </summary>
public sealed class WebPushReceiver : IDisposable
{
    public WebPushReceiver(ECDiffieHellman? key = null, byte[]? auth = null)
    {
        Key = key ?? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Auth = auth ?? RandomNumberGenerator.GetBytes(16);
        var q = Key.ExportParameters(false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
    }

    public ECDiffieHellman Key { get; }

    public byte[] Auth { get; }

    public byte[] PublicKey { get; }

    public byte[] Decrypt(byte[] body)
    {
        byte[] salt = body[..16];
        uint rs = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        int idLength = body[20];
        byte[] senderPublic = body[21..(21 + idLength)];
        byte[] record = body[(21 + idLength)..];
        if (rs < 18 || record.Length > rs)
        {
            throw new CryptographicException("bad record size");
        }

        using var sender = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = senderPublic[1..33], Y = senderPublic[33..65] },
        });
        byte[] secret = Key.DeriveRawSecretAgreement(sender.PublicKey);
        byte[] info = [.. Encoding.ASCII.GetBytes("WebPush: info\0"), .. PublicKey, .. senderPublic];
        byte[] prk = HKDF.Extract(HashAlgorithmName.SHA256, secret, Auth);
        byte[] ikm = HKDF.Expand(HashAlgorithmName.SHA256, prk, 32, info);
        byte[] prk2 = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        byte[] cek = HKDF.Expand(HashAlgorithmName.SHA256, prk2, 16, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        byte[] nonce = HKDF.Expand(HashAlgorithmName.SHA256, prk2, 12, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));
        byte[] padded = new byte[record.Length - 16];
        using (var aes = new AesGcm(cek, 16))
        {
            aes.Decrypt(nonce, record[..^16], record[^16..], padded);
        }

        int end = padded.Length - 1;
        while (end >= 0 && padded[end] == 0)
        {
            end--;
        }

        if (end < 0 || padded[end] != 0x02)
        {
            throw new CryptographicException("the last record must end with the 0x02 delimiter");
        }

        return padded[..end];
    }

    public void Dispose() => Key.Dispose();
}

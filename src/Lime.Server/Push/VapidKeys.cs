using System.Buffers.Text;
using System.Security.Cryptography;

namespace Lime.Server.Push;

/// <summary>
/// The server's VAPID key pair (RFC 8292): a P-256 key whose public half browsers subscribe with
/// (applicationServerKey) and which signs the JWT on every push. From <see cref="WebPushOptions.PrivateKey"/>
/// (base64url scalar, or PEM), else generated once into the data directory (vapid.key, PKCS#8 PEM, mode 600).
/// </summary>
public sealed class VapidKeys : IDisposable
{
    public VapidKeys(ECDsa key)
    {
        Key = key;
        PublicKey = WebPushEncryption.PublicBytes(key);
        PublicKeyBase64Url = Base64Url.EncodeToString(PublicKey);
    }

    public ECDsa Key { get; }

    /// <summary>Uncompressed point (65 bytes).</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyBase64Url { get; }

    public static VapidKeys Load(string configured, string dataDirectory, ILogger log)
    {
        var key = ECDsa.Create();
        if (configured.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            key.ImportFromPem(configured);
        }
        else if (configured.Length > 0)
        {
            key.ImportParameters(FromScalar(Base64Url.DecodeFromChars(configured)));
        }
        else
        {
            string path = Path.Combine(Path.GetFullPath(dataDirectory), "vapid.key");
            if (File.Exists(path))
            {
                key.ImportFromPem(File.ReadAllText(path));
            }
            else
            {
                key.GenerateKey(ECCurve.NamedCurves.nistP256);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                PushLog.VapidKeyGenerated(log, path);
            }
        }

        return new VapidKeys(key);
    }

    public void Dispose() => Key.Dispose();

    /// <summary>A private key from its 32-byte scalar alone; the public point is derived by multiplying the base point.</summary>
    private static ECParameters FromScalar(byte[] d)
    {
        if (d.Length != 32)
        {
            throw new InvalidOperationException("Lime:Push:WebPush:PrivateKey must be the base64url 32-byte P-256 private scalar (or a PEM key).");
        }

        // Importing D with Q left empty makes the platform compute Q = d·G.
        return new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d };
    }
}

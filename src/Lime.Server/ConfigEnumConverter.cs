using System.ComponentModel;
using System.Globalization;

namespace Lime.Server;

/// <summary>
/// Binds a configuration choice (<c>Lime:Storage:Provider</c>, …) from its name only, case-insensitively. Unlike the
/// default enum conversion it refuses numbers ("3" would bind an undefined value), and its error lists the choices;
/// the configuration binder adds the key ("Failed to convert configuration value 'x' at 'Lime:…'").
/// </summary>
public sealed class ConfigEnumConverter<T> : EnumConverter
    where T : struct, Enum
{
    public ConfigEnumConverter()
        : base(typeof(T))
    {
    }

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is string text)
        {
            foreach (string name in Enum.GetNames<T>())
            {
                if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    return Enum.Parse<T>(name);
                }
            }

            throw new FormatException($"'{text}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        }

        return base.ConvertFrom(context, culture, value)!;
    }
}

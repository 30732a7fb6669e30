using System.Collections;
using System.Reflection;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Cluster;
using Lime.Server.Storage;

namespace Lime.Tests.Cluster;

/// <summary>
/// The internal channel's JSON contract: every concrete <see cref="RoomWrite"/> (found by reflection, so a new one
/// cannot be forgotten), <see cref="RoomWriteResult"/> and a refusal survive the trip with every field, each field
/// set to a value that differs from its default (a dropped field comes back as its default and fails).
/// </summary>
public sealed class RoomWriteJsonTests
{
    public static TheoryData<string> WriteTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in ConcreteWrites())
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    private static IEnumerable<Type> ConcreteWrites() =>
        typeof(RoomWrite).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(RoomWrite)) && !t.IsAbstract).OrderBy(t => t.FullName);

    [Fact]
    public void There_are_writes_to_check() => Assert.True(ConcreteWrites().Count() >= 20);

    [Theory]
    [MemberData(nameof(WriteTypes))]
    public void A_write_round_trips_with_every_field(string typeName)
    {
        var type = typeof(RoomWrite).Assembly.GetType(typeName)!;
        int seed = 1;
        var write = (RoomWrite)Sample(type, ref seed);

        string json = JsonSerializer.Serialize(write, ClusterJson.Default.RoomWrite);
        var back = JsonSerializer.Deserialize(json, ClusterJson.Default.RoomWrite);

        Assert.NotNull(back);
        Assert.Equal(type, back.GetType());
        Assert.Equal(write.RoomKey, back.RoomKey);
        AssertSame(write, back, type.Name);
    }

    [Fact]
    public void A_result_round_trips_with_every_field()
    {
        int seed = 1;
        var result = (RoomWriteResult)Sample(typeof(RoomWriteResult), ref seed);
        Assert.NotEmpty(result.Events);

        string json = JsonSerializer.Serialize(result, ClusterJson.Default.RoomWriteResult);
        var back = JsonSerializer.Deserialize(json, ClusterJson.Default.RoomWriteResult);

        AssertSame(result, back, nameof(RoomWriteResult));
    }

    [Fact]
    public void A_batch_and_its_outcomes_round_trip()
    {
        int seed = 1;
        var writes = ConcreteWrites().Select(t => (RoomWrite)Sample(t, ref seed)).ToArray();
        var batch = new ForwardBatch(7, writes);
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(batch, ClusterJson.Default.ForwardBatch), ClusterJson.Default.ForwardBatch)!;
        Assert.Equal(7, back.Room);
        Assert.Equal(writes.Select(w => w.GetType()), back.Writes.Select(w => w.GetType()));
        for (int i = 0; i < writes.Length; i++)
        {
            AssertSame(writes[i], back.Writes[i], writes[i].GetType().Name);
        }

        var outcomes = new[]
        {
            new ForwardOutcome((RoomWriteResult)Sample(typeof(RoomWriteResult), ref seed), null),
            new ForwardOutcome(null, new ForwardError(ErrorCodes.RateLimited, "slow down", 1500)),
        };
        var answer = JsonSerializer.Deserialize(JsonSerializer.Serialize(outcomes, ClusterJson.Default.ForwardOutcomeArray), ClusterJson.Default.ForwardOutcomeArray)!;
        AssertSame(outcomes[0].Result, answer[0].Result, "outcome");
        Assert.Null(answer[0].Error);
        Assert.Null(answer[1].Result);
        Assert.Equal(outcomes[1].Error, answer[1].Error);
    }

    [Theory]
    [InlineData(ErrorCodes.Forbidden, null)]
    [InlineData(ErrorCodes.RateLimited, 1234)]
    [InlineData(ErrorCodes.Muted, 86_400_000)]
    public void A_refusal_crosses_as_the_same_exception(string code, int? retryAfterMs)
    {
        var original = new LimeException(code, "the reason " + code, retryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        string json = JsonSerializer.Serialize(ForwardError.From(original), ClusterJson.Default.ForwardError);
        var again = JsonSerializer.Deserialize(json, ClusterJson.Default.ForwardError)!.ToException();

        Assert.Equal(original.Code, again.Code);
        Assert.Equal(original.Message, again.Message);
        Assert.Equal(original.RetryAfter, again.RetryAfter);
        Assert.Equal(original.HttpStatus, again.HttpStatus);
        Assert.Contains("\"code\"", json, StringComparison.Ordinal);
        Assert.Equal(retryAfterMs is not null, json.Contains("\"retry_after_ms\"", StringComparison.Ordinal));
    }

    /// <summary>Every public property equal (arrays and lists element by element, records recursively).</summary>
    private static void AssertSame(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: {expected} vs {actual}");
            return;
        }

        var type = expected.GetType();
        if (type.IsPrimitive || expected is string or decimal || Nullable.GetUnderlyingType(type) is not null || type.IsEnum)
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
            return;
        }

        if (expected is IEnumerable list)
        {
            var a = list.Cast<object?>().ToList();
            var b = ((IEnumerable)actual).Cast<object?>().ToList();
            Assert.True(a.Count == b.Count, $"{path}: {a.Count} items, got {b.Count}");
            for (int i = 0; i < a.Count; i++)
            {
                AssertSame(a[i], b[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.Equal(type, actual.GetType());
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            if (property.Name == "EqualityContract")
            {
                continue;
            }

            AssertSame(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    /// <summary>An instance through its widest constructor, every argument a fresh non-default value.</summary>
    private static object Sample(Type type, ref int seed)
    {
        int n = seed++;
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Sample(inner, ref seed);
        }

        if (type == typeof(long))
        {
            return (long)n * 1000 + 7;
        }

        if (type == typeof(int))
        {
            return n + 3;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(string))
        {
            return "s" + n + " 한글 \"q\"";
        }

        if (type == typeof(double))
        {
            return n + 0.5;
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, 2);
            array.SetValue(Sample(element, ref seed), 0);
            array.SetValue(Sample(element, ref seed), 1);
            return array;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IReadOnlyList<>) || definition == typeof(List<>) || definition == typeof(IList<>)))
        {
            var element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Sample(element, ref seed));
            list.Add(Sample(element, ref seed));
            return list;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = new object?[constructor.GetParameters().Length];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Sample(constructor.GetParameters()[i].ParameterType, ref seed);
        }

        return constructor.Invoke(args);
    }
}

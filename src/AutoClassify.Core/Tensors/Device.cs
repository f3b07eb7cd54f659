using System.Globalization;
using AutoClassify.Native;

namespace AutoClassify.Tensors;

/// <summary>Kinds of device; the values are libtorch's <c>c10::DeviceType</c> codes.</summary>
public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

/// <summary>Where a tensor lives: the CPU, or a CUDA device (index -1 means the current one).</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <summary>A CUDA device.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses libtorch's device grammar: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.</summary>
    public static Device Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        NativeMethods.TorchParseDevice(text.Trim(), out var type, out var index);
        var error = NativeMethods.LastError();
        if (error != IntPtr.Zero)
            throw new FormatException($"'{text}' is not a device (expected cpu, cuda or cuda:N): " +
                System.Runtime.InteropServices.Marshal.PtrToStringUTF8(error));
        return new Device((DeviceType)type, index);
    }

    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Cuda when Index < 0 => "cuda",
        DeviceType.Cuda => "cuda:" + Index.ToString(CultureInfo.InvariantCulture),
        _ => Type.ToString().ToLowerInvariant() + (Index < 0 ? "" : ":" + Index.ToString(CultureInfo.InvariantCulture)),
    };
}

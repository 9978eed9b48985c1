namespace AutoDiffRnn.FSharp.Torch

open System.Runtime.InteropServices

/// <summary>
/// libtorch's global backend switches that TorchSharp 0.107 does not expose (<c>torch.backends.mkldnn.enabled</c>,
/// <c>torch.backends.nnpack.enabled</c>), set through libtorch's own <c>at::globalContext()</c>.
/// Why: on the AMD EPYC test machine libtorch's float32 conv2d input gradient through oneDNN (mkldnn) is wrong (errors of
/// the order of the values, measured 2026-12-03); with oneDNN off libtorch agrees with its float64 result to 1e-7.
/// Disabling NNPACK alone (which does not initialise here: "Unsupported hardware") changes nothing.
/// </summary>
[<RequireQualifiedAccess>]
module TorchBackends =

    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type private ContextGetter = delegate of unit -> nativeint

    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type private FlagSetter = delegate of nativeint * [<MarshalAs(UnmanagedType.U1)>] enabled: bool -> unit

    /// C++ bool: one byte.
    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type private FlagGetter = delegate of nativeint -> byte

    let private library = lazy (TorchNative.ensureLoaded (); NativeLibrary.Load "libtorch_cpu.so")

    let private export<'D when 'D :> System.Delegate> (symbol: string) =
        Marshal.GetDelegateForFunctionPointer<'D>(NativeLibrary.GetExport(library.Value, symbol))

    let private context () = (export<ContextGetter> "_ZN2at13globalContextEv").Invoke()

    /// <summary>Turns libtorch's oneDNN (mkldnn) kernels on or off for the whole process (at::Context::setUserEnabledMkldnn).</summary>
    let setMkldnnEnabled (enabled: bool) = (export<FlagSetter> "_ZN2at7Context20setUserEnabledMkldnnEb").Invoke(context (), enabled)

    /// <summary>Whether libtorch may use oneDNN (at::Context::userEnabledMkldnn).</summary>
    let mkldnnEnabled () = (export<FlagGetter> "_ZNK2at7Context17userEnabledMkldnnEv").Invoke(context ()) <> 0uy

    /// <summary>Turns libtorch's NNPACK kernels on or off (at::Context::setUserEnabledNNPACK).</summary>
    let setNnpackEnabled (enabled: bool) = (export<FlagSetter> "_ZN2at7Context20setUserEnabledNNPACKEb").Invoke(context (), enabled)

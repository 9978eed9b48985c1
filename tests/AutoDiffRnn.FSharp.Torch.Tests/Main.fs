module AutoDiffRnn.FSharp.Torch.Tests.Main

open System
open Expecto

[<EntryPoint>]
let main argv =
    // Tests call TorchSharp directly too: load libtorch (with the Debian 12 fix where needed) before the first of them.
    AutoDiffRnn.FSharp.Torch.TorchNative.ensureLoaded ()
    // libtorch's float32 conv2d input gradient through oneDNN is wrong on some CPUs (see TorchBackends): compare against its
    // plain kernels. ConvolutionTests checks that they agree with libtorch's own float64 result.
    AutoDiffRnn.FSharp.Torch.TorchBackends.setMkldnnEnabled false
    // NNPACK does not initialise on this CPU and says so on every convolution; it is never used here, so keep it off (and quiet).
    AutoDiffRnn.FSharp.Torch.TorchBackends.setNnpackEnabled false
    // Plain text when the output is captured: the suite runner (build/test-all.cs) parses the summary line,
    // which colour codes would split.
    let plain = if Console.IsOutputRedirected then [ CLIArguments.Colours 0; CLIArguments.No_Spinner ] else []
    runTestsInAssemblyWithCLIArgs plain argv

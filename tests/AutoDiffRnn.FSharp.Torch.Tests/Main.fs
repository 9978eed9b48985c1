module AutoDiffRnn.FSharp.Torch.Tests.Main

open System
open Expecto

[<EntryPoint>]
let main argv =
    // Plain text when the output is captured: the suite runner (build/test-all.cs) parses the summary line,
    // which colour codes would split.
    let plain = if Console.IsOutputRedirected then [ CLIArguments.Colours 0; CLIArguments.No_Spinner ] else []
    runTestsInAssemblyWithCLIArgs plain argv

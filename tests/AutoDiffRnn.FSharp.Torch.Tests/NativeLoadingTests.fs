/// The run-time TorchSharp fix: the ELF reader on TorchSharp's real library, the weak mark, the cached copy, malformed files.
module AutoDiffRnn.FSharp.Torch.Tests.NativeLoadingTests

open System
open System.IO
open Expecto
open AutoDiffRnn.FSharp.Torch

let private torchSharpLibrary =
    Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")

/// The exception of type 'E that <paramref name="action" /> throws (the test fails when it throws none).
let private thrown<'E when 'E :> exn> (action: unit -> unit) : 'E =
    try
        action ()
        failtest $"expected {typeof<'E>.Name}, nothing was thrown"
    with :? 'E as error -> error

let private glibcxx32 (needs: VersionNeed list) = needs |> List.find (fun need -> need.Name = "GLIBCXX_3.4.32")

/// Runs <paramref name="body" /> with XDG_CACHE_HOME pointing at a new empty folder, restored afterwards.
let private withCacheHome (body: string -> unit) =
    let folder = Path.Combine(Path.GetTempPath(), $"autodiffrnn-native-test-{Guid.NewGuid():N}")
    let previous = Environment.GetEnvironmentVariable "XDG_CACHE_HOME"
    Environment.SetEnvironmentVariable("XDG_CACHE_HOME", folder)
    try body folder
    finally
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", previous)
        if Directory.Exists folder then Directory.Delete(folder, true)

[<Tests>]
let tests =
    testList "native loading" [
        test "TorchSharp's library requires GLIBCXX_3.4.32 from libstdc++ for one symbol that no relocation binds" {
            let image = File.ReadAllBytes torchSharpLibrary
            let needs = ElfVersionNeeds.read torchSharpLibrary image
            let need = glibcxx32 needs
            Expect.equal need.Library "libstdc++.so.6" "the library that must provide the version"
            Expect.isFalse need.Weak "the shipped requirement is strong"
            Expect.equal need.Symbols [ "_ZSt21ios_base_library_initv" ] "the one symbol of that version"
            Expect.equal need.Relocations 0 "named, never bound"
            // An ordinary version is bound by relocations: the reader does see them.
            let glibc = needs |> List.filter (fun need -> need.Library = "libc.so.6")
            Expect.isGreaterThan (glibc |> List.sumBy (fun need -> need.Relocations)) 0 "libc's versions are bound"
        }
        test "markWeak sets the weak flag of that requirement and changes nothing else" {
            let image = File.ReadAllBytes torchSharpLibrary
            let before = ElfVersionNeeds.read torchSharpLibrary image
            ElfVersionNeeds.markWeak image (glibcxx32 before)
            let after = ElfVersionNeeds.read torchSharpLibrary image
            Expect.isTrue (glibcxx32 after).Weak "weak after marking"
            let others list = list |> List.filter (fun need -> need.Name <> "GLIBCXX_3.4.32")
            Expect.equal (others after) (others before) "every other requirement unchanged"
            let original = File.ReadAllBytes torchSharpLibrary
            let differing = Seq.zip original image |> Seq.filter (fun (a, b) -> a <> b) |> Seq.length
            Expect.equal differing 1 "one byte differs (the flags' low byte)"
        }
        test "fixedCopy writes a weak copy once into the cache folder and leaves the original untouched" {
            withCacheHome (fun cache ->
                let original = File.ReadAllBytes torchSharpLibrary
                let copy = TorchNative.fixedCopy torchSharpLibrary
                Expect.stringStarts copy (Path.Combine(cache, "autodiffrnn", "torchsharp-native")) "under XDG_CACHE_HOME"
                Expect.isTrue (glibcxx32 (ElfVersionNeeds.read copy (File.ReadAllBytes copy))).Weak "the copy's requirement is weak"
                Expect.equal (File.ReadAllBytes torchSharpLibrary) original "the original is unchanged"
                let written = File.GetLastWriteTimeUtc copy
                Expect.equal (TorchNative.fixedCopy torchSharpLibrary) copy "the same path the second time"
                Expect.equal (File.GetLastWriteTimeUtc copy) written "not written again"
                Expect.isEmpty (Directory.GetFiles(Path.GetDirectoryName copy |> string, "*.tmp")) "no temporary file left")
        }
        test "a library that does not require the version is refused by fixedCopy, naming it" {
            withCacheHome (fun _ ->
                let libc = [ "/lib/x86_64-linux-gnu/libm.so.6"; "/usr/lib/x86_64-linux-gnu/libm.so.6" ] |> List.find File.Exists
                let error = thrown<InvalidOperationException> (fun () -> TorchNative.fixedCopy libc |> ignore)
                Expect.stringContains error.Message "does not require GLIBCXX_3.4.32" "says why")
        }
        test "malformed files give InvalidDataException naming the file, at every truncation and for foreign bytes" {
            let image = File.ReadAllBytes torchSharpLibrary
            let random = Random(5)
            let lengths = [ 0; 3; 16; 63; 64 ] @ [ for _ in 1 .. 20 -> random.Next(64, image.Length) ]
            for length in lengths do
                let cut = Array.sub image 0 length
                // A cut that keeps every section the reader needs may still read; anything else must be a clean error.
                try ElfVersionNeeds.read "cut.so" cut |> ignore
                with
                | :? InvalidDataException as error -> Expect.stringContains error.Message "cut.so" $"length {length}: names the file"
            let foreign = Array.init 4096 (fun i -> byte (i * 7))
            let error = thrown<InvalidDataException> (fun () -> ElfVersionNeeds.read "foreign.bin" foreign |> ignore)
            Expect.stringContains error.Message "foreign.bin" "names the file"
            let corrupt = Array.copy image
            BitConverter.GetBytes(UInt64.MaxValue).CopyTo(corrupt, 0x28) // section table offset
            let error = thrown<InvalidDataException> (fun () -> ElfVersionNeeds.read "corrupt.so" corrupt |> ignore)
            Expect.stringContains error.Message "corrupt.so" "names the file"
        }
    ]

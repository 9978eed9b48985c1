namespace AutoDiffRnn.FSharp.Torch

open System
open System.IO
open System.Runtime.InteropServices
open System.Security.Cryptography
open TorchSharp

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ predates GCC 13, such as Debian 12 (README: "Known
/// platform issues"). TorchSharp 0.107's libLibTorchSharp.so requires the symbol version GLIBCXX_3.4.32 for a single symbol,
/// <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; only names (an undefined symbol, no relocation) to pin that
/// version; the loader refuses the library where libstdc++ lacks it. <see cref="ensureLoaded" /> loads libtorch and then TorchSharp's
/// library; when the loader names that missing version, it writes a copy of the library whose requirement is marked weak to a
/// per-user cache folder and loads the copy instead. TorchSharp then finds the library already loaded (by its soname), in an
/// application, a test run or a notebook alike. The package cache and the application's files are never modified.
/// </summary>
[<RequireQualifiedAccess>]
module TorchNative =

    [<Literal>]
    let private TorchSharpLibrary = "libLibTorchSharp.so"
    [<Literal>]
    let private MissingVersion = "GLIBCXX_3.4.32"
    [<Literal>]
    let private UnboundSymbol = "_ZSt21ios_base_library_initv"
    let private nativeFolder = Path.Combine("runtimes", "linux-x64", "native")

    let private folderOf (path: string) : string =
        match Path.GetDirectoryName path with
        | null -> ""
        | folder -> folder

    /// <summary>The per-user folder that holds fixed copies: $XDG_CACHE_HOME or ~/.cache, under autodiffrnn/torchsharp-native.</summary>
    let cacheFolder () : string =
        let root =
            match Environment.GetEnvironmentVariable "XDG_CACHE_HOME" with
            | null | "" ->
                match Environment.GetFolderPath Environment.SpecialFolder.UserProfile with
                | "" -> Path.Combine(Path.GetTempPath(), $"autodiffrnn-{Environment.UserName}")
                | home -> Path.Combine(home, ".cache")
            | cache -> cache
        Path.Combine(root, "autodiffrnn", "torchsharp-native")

    /// <summary>Where TorchSharp's native library is: beside the application (build or publish output) or in TorchSharp's package.</summary>
    let private torchSharpLibrary () : string option =
        let assemblyFolder = folderOf typeof<torch.Tensor>.Assembly.Location
        [ Path.Combine(AppContext.BaseDirectory, nativeFolder, TorchSharpLibrary)
          Path.Combine(AppContext.BaseDirectory, TorchSharpLibrary)
          if not (String.IsNullOrEmpty assemblyFolder) then
              Path.Combine(assemblyFolder, "..", "..", nativeFolder, TorchSharpLibrary) // packages/torchsharp/V/lib/netX/
              Path.Combine(assemblyFolder, nativeFolder, TorchSharpLibrary)
              Path.Combine(assemblyFolder, TorchSharpLibrary) ]
        |> List.map Path.GetFullPath
        |> List.tryFind File.Exists

    /// <summary>The folder holding libtorch.so: beside TorchSharp's library, or libtorch-cpu-linux-x64's package (newest version).</summary>
    let private libtorchFolder (torchSharp: string) : string option =
        let beside = folderOf torchSharp
        if File.Exists(Path.Combine(beside, "libtorch.so")) then Some beside
        else
            // packages/torchsharp/V/runtimes/linux-x64/native -> packages/libtorch-cpu-linux-x64/W/runtimes/linux-x64/native
            let packages = Path.GetFullPath(Path.Combine(beside, "..", "..", "..", "..", ".."))
            let package = Path.Combine(packages, "libtorch-cpu-linux-x64")
            if not (Directory.Exists package) then None
            else
                let versionOf (folder: string) = match Version.TryParse(Path.GetFileName folder) with | true, version -> version | _ -> Version()
                Directory.GetDirectories package
                |> Array.sortByDescending versionOf
                |> Array.map (fun version -> Path.Combine(version, nativeFolder))
                |> Array.tryFind (fun folder -> File.Exists(Path.Combine(folder, "libtorch.so")))

    /// <summary>
    /// A copy of <paramref name="library" /> whose GLIBCXX_3.4.32 requirement is weak, in <see cref="cacheFolder" /> under the
    /// original's content hash (written once, atomically). Refuses when that version covers more than the one unbound symbol.
    /// </summary>
    let fixedCopy (library: string) : string =
        let image = File.ReadAllBytes library
        let need =
            match ElfVersionNeeds.read library image |> List.tryFind (fun need -> need.Name = MissingVersion) with
            | Some need -> need
            | None -> invalidOp $"TorchSharp fix: {library} does not require {MissingVersion}; the loader's error has another cause"
        if need.Symbols <> [ UnboundSymbol ] || need.Relocations > 0 then
            invalidOp
                $"TorchSharp fix: {library} binds {need.Relocations} relocation(s) to {MissingVersion} symbols {need.Symbols}: marking the version weak would not be safe; install a libstdc++ from GCC 13 or later"
        let hash = Convert.ToHexString(SHA256.HashData image).Substring(0, 16).ToLowerInvariant()
        let folder = Path.Combine(cacheFolder (), hash)
        let target = Path.Combine(folder, TorchSharpLibrary)
        if not (File.Exists target) then
            Directory.CreateDirectory folder |> ignore
            ElfVersionNeeds.markWeak image need
            let temporary = Path.Combine(folder, $".{TorchSharpLibrary}.{Guid.NewGuid():N}.tmp")
            File.WriteAllBytes(temporary, image)
            File.Move(temporary, target, overwrite = true)
            eprintfn $"TorchSharp fix: the system libstdc++ lacks {MissingVersion}; using a copy of {TorchSharpLibrary} with that requirement weak: {target} (README: Known platform issues)"
        target

    let private load =
        lazy
            if RuntimeInformation.IsOSPlatform OSPlatform.Linux && RuntimeInformation.ProcessArchitecture = Architecture.X64 then
                match torchSharpLibrary () with
                | None -> () // TorchSharp's own loader reports what is missing
                | Some library ->
                    libtorchFolder library
                    |> Option.iter (fun folder -> NativeLibrary.Load(Path.Combine(folder, "libtorch.so")) |> ignore)
                    try
                        NativeLibrary.Load library |> ignore
                    with :? DllNotFoundException as error when error.Message.Contains MissingVersion ->
                        NativeLibrary.Load(fixedCopy library) |> ignore

    /// <summary>
    /// Loads libtorch and TorchSharp's native library, through a fixed copy where the system libstdc++ lacks GLIBCXX_3.4.32
    /// (see the module's summary). Idempotent and thread-safe; call it before the first TorchSharp call (the conversions of
    /// <see cref="TorchTensor" /> do). Does nothing on systems other than Linux x64.
    /// </summary>
    [<CompiledName("EnsureLoaded")>]
    let ensureLoaded () : unit = load.Force()

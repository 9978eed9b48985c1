namespace AutoDiffRnn.FSharp.Torch

open System
open System.Buffers.Binary
open System.IO
open System.Text

/// <summary>One symbol version a shared library requires from another (an entry of ELF's .gnu.version_r section).</summary>
type VersionNeed =
    { /// <summary>The library that must provide the version, e.g. libstdc++.so.6.</summary>
      Library: string
      /// <summary>The version's name, e.g. GLIBCXX_3.4.32.</summary>
      Name: string
      /// <summary>Whether the requirement is weak (VER_FLG_WEAK): the loader then accepts a library without it.</summary>
      Weak: bool
      /// <summary>The dynamic symbols bound to this version (their names).</summary>
      Symbols: string list
      /// <summary>How many dynamic relocations refer to one of those symbols (0: the symbols are named but never bound).</summary>
      Relocations: int
      /// <summary>Where the entry's flags are in the file (for <see cref="ElfVersionNeeds.markWeak" />).</summary>
      FlagsOffset: int }

/// <summary>
/// Reads the symbol versions a 64-bit little-endian ELF shared library requires (.gnu.version_r, .gnu.version, .dynsym and the
/// .rela sections), and marks one requirement weak. Enough of ELF for the TorchSharp fix (<see cref="TorchNative" />); every offset
/// is bounds-checked, and a malformed file gives <see cref="InvalidDataException" /> naming it.
/// </summary>
[<RequireQualifiedAccess>]
module ElfVersionNeeds =

    [<Literal>]
    let private VersionNeedSection = 0x6ffffffeu
    [<Literal>]
    let private VersionSymbolSection = 0x6fffffffu
    [<Literal>]
    let private DynamicSymbolSection = 11u
    [<Literal>]
    let private RelocationWithAddendSection = 4u
    [<Literal>]
    let private WeakFlag = 0x2us

    type private Section = { Type: uint32; Offset: int; Size: int; Link: int }

    let private fail (file: string) (what: string) = raise (InvalidDataException $"{file}: not a readable 64-bit ELF library ({what})")

    let private span (file: string) (image: byte[]) (offset: int64) (length: int64) : ReadOnlySpan<byte> =
        if offset < 0L || length < 0L || offset > int64 image.Length || length > int64 image.Length - offset then
            fail file $"{length} bytes at {offset} lie outside its {image.Length} bytes"
        ReadOnlySpan<byte>(image, int offset, int length)

    let private u16 file image offset = BinaryPrimitives.ReadUInt16LittleEndian(span file image offset 2L)
    let private u32 file image offset = BinaryPrimitives.ReadUInt32LittleEndian(span file image offset 4L)
    let private u64 file image offset = BinaryPrimitives.ReadUInt64LittleEndian(span file image offset 8L)

    let private checkedInt file (value: uint64) (what: string) =
        if value > uint64 Int32.MaxValue then fail file $"{what} {value} is too large" else int value

    let private sections (file: string) (image: byte[]) : Section[] =
        let magic = span file image 0L 6L
        if magic[0] <> 0x7Fuy || magic[1] <> byte 'E' || magic[2] <> byte 'L' || magic[3] <> byte 'F' then fail file "no ELF magic"
        if magic[4] <> 2uy || magic[5] <> 1uy then fail file "not 64-bit little-endian"
        let table = checkedInt file (u64 file image 0x28L) "section table offset"
        let entrySize = int (u16 file image 0x3AL)
        let count = int (u16 file image 0x3CL)
        if entrySize < 64 then fail file $"section header size {entrySize}"
        Array.init count (fun index ->
            let header = int64 table + int64 index * int64 entrySize
            { Type = u32 file image (header + 4L)
              Offset = checkedInt file (u64 file image (header + 24L)) "section offset"
              Size = checkedInt file (u64 file image (header + 32L)) "section size"
              Link = int (u32 file image (header + 40L)) })

    let private text (file: string) (image: byte[]) (strings: Section) (offset: uint32) : string =
        let all = span file image (int64 strings.Offset) (int64 strings.Size)
        if int64 offset >= int64 all.Length then fail file $"string offset {offset} outside its string table"
        let rest = all.Slice(int offset)
        let length = rest.IndexOf 0uy
        if length < 0 then fail file "an unterminated string"
        Encoding.UTF8.GetString(rest.Slice(0, length))

    let private single (file: string) (all: Section[]) (sectionType: uint32) (name: string) =
        match all |> Array.filter (fun s -> s.Type = sectionType) with
        | [| one |] -> Some one
        | [||] -> None
        | _ -> fail file $"more than one {name} section"

    let private linked (file: string) (all: Section[]) (section: Section) =
        if section.Link <= 0 || section.Link >= all.Length then fail file $"a section linked to section {section.Link}"
        all[section.Link]

    /// <summary>Every symbol version the library at <paramref name="file" /> (its bytes in <paramref name="image" />) requires.</summary>
    let read (file: string) (image: byte[]) : VersionNeed list =
        let all = sections file image
        match single file all VersionNeedSection ".gnu.version_r" with
        | None -> []
        | Some needs ->
            let strings = linked file all needs
            let symbols = single file all DynamicSymbolSection ".dynsym"
            let versions = single file all VersionSymbolSection ".gnu.version"
            // Symbol index -> version index, and symbol index -> name, for the symbols the loader sees.
            let symbolVersions =
                match symbols, versions with
                | Some symbols, Some versions ->
                    let names = linked file all symbols
                    let count = min (symbols.Size / 24) (versions.Size / 2)
                    Array.init count (fun index ->
                        let version = u16 file image (int64 versions.Offset + int64 index * 2L) &&& 0x7fffus
                        let name = text file image names (u32 file image (int64 symbols.Offset + int64 index * 24L))
                        version, name)
                | _ -> [||]
            let relocatedSymbols =
                all
                |> Array.filter (fun s -> s.Type = RelocationWithAddendSection)
                |> Array.collect (fun relocations ->
                    Array.init (relocations.Size / 24) (fun index ->
                        int (u64 file image (int64 relocations.Offset + int64 index * 24L + 8L) >>> 32)))
                |> Array.countBy id
                |> Map.ofArray
            let entries = ResizeArray()
            let mutable need = int64 needs.Offset
            let mutable guard = 0
            let mutable moreNeeds = true
            while moreNeeds do
                guard <- guard + 1
                if guard > 4096 then fail file "a .gnu.version_r chain that does not end"
                let library = text file image strings (u32 file image (need + 4L))
                let mutable aux = need + int64 (u32 file image (need + 8L))
                for _ in 1 .. int (u16 file image (need + 2L)) do
                    let flags = u16 file image (aux + 4L)
                    let index = u16 file image (aux + 6L)
                    let bound =
                        symbolVersions
                        |> Array.mapi (fun symbol (version, name) -> symbol, version, name)
                        |> Array.filter (fun (_, version, _) -> version = index)
                    entries.Add
                        { Library = library
                          Name = text file image strings (u32 file image (aux + 8L))
                          Weak = flags &&& WeakFlag <> 0us
                          Symbols = bound |> Array.map (fun (_, _, name) -> name) |> List.ofArray
                          Relocations = bound |> Array.sumBy (fun (symbol, _, _) -> relocatedSymbols |> Map.tryFind symbol |> Option.defaultValue 0)
                          FlagsOffset = checkedInt file (uint64 (aux + 4L)) "flags offset" }
                    aux <- aux + int64 (u32 file image (aux + 12L))
                let next = u32 file image (need + 12L)
                if next = 0u then moreNeeds <- false else need <- need + int64 next
            List.ofSeq entries

    /// <summary>Sets the weak flag of one requirement in <paramref name="image" /> (the file's bytes, changed in place).</summary>
    let markWeak (image: byte[]) (need: VersionNeed) : unit =
        let flags = BinaryPrimitives.ReadUInt16LittleEndian(ReadOnlySpan<byte>(image, need.FlagsOffset, 2))
        BinaryPrimitives.WriteUInt16LittleEndian(Span<byte>(image, need.FlagsOffset, 2), flags ||| WeakFlag)

namespace AutoDiffRnn.FSharp

open System

/// Row-major index arithmetic for the forward-mode engine, written from scratch (it shares no code with the C# kernels).
/// Structural operations are expressed as index maps: output element k reads input element map[k].
module internal Layout =

    /// The number of elements of a shape (1 for a scalar).
    let count (shape: int[]) = Array.fold (*) 1 shape

    /// A shape as "[2,3,4]".
    let show (shape: int[]) = "[" + String.Join(",", shape) + "]"

    /// Row-major strides: stride[i] is the product of the sizes after i.
    let strides (shape: int[]) =
        let result = Array.create shape.Length 1
        for i in shape.Length - 2 .. -1 .. 0 do
            result[i] <- result[i + 1] * shape[i + 1]
        result

    /// The multi-dimensional index of a flat row-major index.
    let unravel (shape: int[]) (flat: int) =
        let index = Array.zeroCreate shape.Length
        let mutable rest = flat
        for i in shape.Length - 1 .. -1 .. 0 do
            index[i] <- rest % shape[i]
            rest <- rest / shape[i]
        index

    /// The flat row-major index of a multi-dimensional index.
    let ravel (shape: int[]) (index: int[]) =
        let mutable flat = 0
        for i in 0 .. shape.Length - 1 do
            flat <- flat * shape[i] + index[i]
        flat

    /// An axis in 0 .. rank-1 (negative axes count from the end), or an exception naming the operation.
    let normalizeAxis (operation: string) (shape: int[]) (axis: int) =
        let normalized = if axis < 0 then axis + shape.Length else axis
        if normalized < 0 || normalized >= shape.Length then
            invalidArg "axis" $"{operation}: axis {axis} is out of range for shape {show shape} (rank {shape.Length})"
        normalized

    /// The broadcast shape of two shapes under NumPy rules.
    let broadcastShapes (operation: string) (a: int[]) (b: int[]) =
        let rank = max a.Length b.Length
        Array.init rank (fun i ->
            let sizeA = if i < rank - a.Length then 1 else a[i - (rank - a.Length)]
            let sizeB = if i < rank - b.Length then 1 else b[i - (rank - b.Length)]
            if sizeA <> sizeB && sizeA <> 1 && sizeB <> 1 then
                invalidArg "shape" $"{operation}: cannot broadcast shapes {show a} and {show b}"
            if sizeA = 1 then sizeB else sizeA)

    /// True when a tensor of shape broadcasts to target.
    let broadcastsTo (shape: int[]) (target: int[]) =
        shape.Length <= target.Length
        && Array.forall2 (fun size targetSize -> size = 1 || size = targetSize) shape target[target.Length - shape.Length ..]

    /// For every element of target, the flat index of the element of shape that broadcasts onto it.
    let broadcastSource (shape: int[]) (target: int[]) =
        let offset = target.Length - shape.Length
        let own = strides shape
        Array.init (count target) (fun flat ->
            let index = unravel target flat
            let mutable source = 0
            for i in 0 .. shape.Length - 1 do
                if shape[i] <> 1 then source <- source + index[i + offset] * own[i]
            source)

    /// For every element of shape, the flat index in the reduced shape (reduced axes of size 1) it is summed into.
    let reductionTarget (shape: int[]) (reduced: bool[]) =
        let kept = shape |> Array.mapi (fun axis size -> if reduced[axis] then 1 else size)
        let keptStrides = strides kept
        Array.init (count shape) (fun flat ->
            let index = unravel shape flat
            let mutable target = 0
            for i in 0 .. shape.Length - 1 do
                if not reduced[i] then target <- target + index[i] * keptStrides[i]
            target)

    /// A mask of the axes a reduction removes: the axes listed, validated and without repeats.
    let reducedAxes (operation: string) (shape: int[]) (axes: int[]) =
        let reduced = Array.zeroCreate shape.Length
        for axis in axes do
            let normalized = normalizeAxis operation shape axis
            if reduced[normalized] then
                invalidArg "axes" $"{operation}: axis {axis} is listed twice for shape {show shape}"
            reduced[normalized] <- true
        reduced

    /// The output shape of a reduction: reduced axes kept with size 1, or dropped.
    let reducedShape (shape: int[]) (reduced: bool[]) (keepDim: bool) =
        if keepDim then shape |> Array.mapi (fun axis size -> if reduced[axis] then 1 else size)
        else shape |> Array.indexed |> Array.filter (fun (axis, _) -> not reduced[axis]) |> Array.map snd

    /// For the permuted shape, the flat source index of every output element: output axis i is input axis axes[i].
    let permuteSource (shape: int[]) (axes: int[]) =
        let permuted = axes |> Array.map (fun axis -> shape[axis])
        let own = strides shape
        Array.init (count permuted) (fun flat ->
            let index = unravel permuted flat
            let mutable source = 0
            for i in 0 .. axes.Length - 1 do
                source <- source + index[i] * own[axes[i]]
            source)

    /// The elements of shape whose index along axis is in positions, in that order (the output has positions.Length there).
    let indexSource (shape: int[]) (axis: int) (positions: int[]) =
        let output = Array.copy shape
        output[axis] <- positions.Length
        let own = strides shape
        output,
        Array.init (count output) (fun flat ->
            let index = unravel output flat
            index[axis] <- positions[index[axis]]
            let mutable source = 0
            for i in 0 .. shape.Length - 1 do
                source <- source + index[i] * own[i]
            source)

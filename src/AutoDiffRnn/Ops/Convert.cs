using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>to: conversion between float32 and float64. VJP: g converted back to x's type.</summary>
[Operation(Name)]
internal static class ConvertOp
{
    public static Tensor Apply(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x;
        var output = dtype == DType.Float64
            ? new Tensor(Array.ConvertAll((float[])x.Storage, v => (double)v), x.Shape)
            : new Tensor(Array.ConvertAll((double[])x.Storage, v => (float)v), x.Shape);
        return Tape.Record(Name, output, [x], g => [Apply(g, x.DType)]);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "to";
}

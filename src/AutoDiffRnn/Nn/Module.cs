namespace AutoDiffRnn.Nn;

/// <summary>
/// The base of every layer and model, as <c>torch.nn.Module</c>: it owns named parameters (leaf tensors that require gradients) and
/// submodules, and exposes them under dotted PyTorch names (<c>encoder.weight_ih_l0</c>) for optimizers and checkpoints.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Value)> parameters = [];
    private readonly List<(string Name, Module Value)> modules = [];

    /// <summary>True in training mode (dropout active), false in evaluation mode. New modules train.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Registers <paramref name="value"/> as a parameter called <paramref name="name"/> and marks it as requiring gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        if (parameters.Any(p => p.Name == name) || modules.Any(m => m.Name == name))
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered");
        value.RequiresGrad = true;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a submodule whose parameters appear under <c>name.</c>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        if (parameters.Any(p => p.Name == name) || modules.Any(m => m.Name == name))
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered");
        modules.Add((name, module));
        return module;
    }

    /// <summary>Every parameter with its dotted name, this module's first, then each submodule's in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var (name, value) in parameters) yield return (name, value);
        foreach (var (prefix, module) in modules)
            foreach (var (name, value) in module.NamedParameters())
                yield return ($"{prefix}.{name}", value);
    }

    /// <summary>Every parameter, in the order of <see cref="NamedParameters"/>.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>The direct submodules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => modules.Select(m => (m.Name, m.Value));

    /// <summary>The total number of parameter elements.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.ElementCount);

    /// <summary>Sets training mode (or evaluation mode when <paramref name="training"/> is false) here and in every submodule.</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, module) in modules) module.Train(training);
        return this;
    }

    /// <summary>Sets evaluation mode: dropout becomes the identity.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters()) parameter.ZeroGrad();
    }

    /// <summary>The parameters by dotted name, detached (they share storage with the live parameters), as <c>state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict() =>
        NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Detach());

    /// <summary>
    /// Copies values into the parameters, as <c>load_state_dict</c>: the tensors keep their identity, so optimizers holding them keep working.
    /// With <paramref name="strict"/>, missing and unexpected names are errors; without it they are reported in the result, but a
    /// non-empty state that matches no parameter at all is an error (it is almost always the wrong file or prefix). Shapes must always
    /// match; every name and shape is checked before any value is copied, so a refused call changes nothing.
    /// </summary>
    /// <returns>The loaded, missing and unexpected names, like PyTorch's <c>missing_keys</c> and <c>unexpected_keys</c>.</returns>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = NamedParameters().ToList();
        var ownNames = own.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = own.Where(p => !state.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        var unexpected = state.Keys.Where(name => !ownNames.Contains(name)).Order(StringComparer.Ordinal).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException($"LoadStateDict: {GetType().Name} is missing [{string.Join(", ", missing)}] " +
                $"and does not expect [{string.Join(", ", unexpected)}]");
        var matched = own.Where(p => state.ContainsKey(p.Name)).ToList();
        if (matched.Count == 0 && state.Count > 0)
            throw new ArgumentException($"LoadStateDict: none of the {state.Count} names given matches a parameter of {GetType().Name}: " +
                $"given [{string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", ..." : "")}], " +
                $"expected [{string.Join(", ", own.Select(p => p.Name).Take(10))}{(own.Count > 10 ? ", ..." : "")}]");
        foreach (var (name, parameter) in matched)
            if (state[name].Shape != parameter.Shape)
                throw new ArgumentException($"LoadStateDict: '{name}' has shape {parameter.Shape} but the state holds {state[name].Shape}");
        foreach (var (name, parameter) in matched) parameter.CopyFrom(state[name]);
        return new LoadStateDictResult(matched.Select(p => p.Name).ToList(), missing, unexpected);
    }

    /// <summary>A summary line per parameter: name, shape, type.</summary>
    public override string ToString() =>
        $"{GetType().Name} ({ParameterCount} parameters)\n" +
        string.Join("\n", NamedParameters().Select(p => $"  {p.Name}: {p.Parameter.Shape} {p.Parameter.DType.Name()}"));

    /// <summary>Uniform values in [-bound, bound), the initialization PyTorch uses for linear and recurrent weights.</summary>
    protected static Tensor UniformInit(Shape shape, double bound, DType dtype, Generator? generator) =>
        Tensor.Uniform(shape, -bound, bound, dtype, generator);
}

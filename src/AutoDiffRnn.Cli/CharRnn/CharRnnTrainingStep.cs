using AutoDiffRnn.Losses;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>The parts of a training step, in order, as <see cref="CharRnnTrainingStep.Run"/> reports them to an observer.</summary>
public enum TrainingStepPhase
{
    /// <summary>The previous step's gradients cleared.</summary>
    ZeroGrad,
    /// <summary>Embedding, dropout, recurrent layers, dropout, projection to logits.</summary>
    Forward,
    /// <summary>Cross-entropy of every next character.</summary>
    Loss,
    /// <summary>The backward pass into every parameter's gradient.</summary>
    Backward,
    /// <summary>Gradient clipping by the global norm.</summary>
    Clip,
    /// <summary>The optimizer's update.</summary>
    Optimizer,
}

/// <summary>
/// One training step of a character model, as <c>train char-rnn</c> runs it: ZeroGrad, forward with dropout, cross-entropy over every next
/// character, backward, gradient clipping, optimizer step. The trainer, its benchmark and its allocation tests all run this one
/// definition. It allocates no tensor storage of its own: run it inside a <see cref="TensorScope"/> per step, and after the first steps
/// every buffer comes from the pools.
/// </summary>
public sealed class CharRnnTrainingStep
{
    private readonly CharLanguageModel model;
    private readonly Optimizer optimizer;
    private readonly (string Name, Tensor Parameter)[] namedParameters; // named once: NamedParameters() builds its names on every call
    private readonly double clipNorm;

    /// <summary>A step of <paramref name="model"/> updated by <paramref name="optimizer"/>, clipping gradients to <paramref name="clipNorm"/>.</summary>
    public CharRnnTrainingStep(CharLanguageModel model, Optimizer optimizer, double clipNorm)
    {
        this.model = model;
        this.optimizer = optimizer;
        this.clipNorm = clipNorm;
        namedParameters = model.NamedParameters().ToArray();
    }

    /// <summary>
    /// Runs one step on ids <paramref name="inputs"/> and next ids <paramref name="targets"/>, both laid out [T, B] (time-major), with
    /// dropout masks drawn from <paramref name="dropoutGenerator"/> (none when null); returns the loss before the update.
    /// <paramref name="phaseDone"/>, if given, is called at the end of each <see cref="TrainingStepPhase"/> (a harness timing the parts).
    /// </summary>
    public double Run(int[] inputs, int[] targets, int steps, int batch, Generator? dropoutGenerator, Action<TrainingStepPhase>? phaseDone = null)
    {
        optimizer.ZeroGrad();
        phaseDone?.Invoke(TrainingStepPhase.ZeroGrad);
        var (logits, _) = model.Forward(inputs, steps, batch, dropoutGenerator: dropoutGenerator);
        phaseDone?.Invoke(TrainingStepPhase.Forward);
        var loss = Loss.CrossEntropy(logits.Reshape(steps * batch, model.Config.VocabularySize), targets);
        phaseDone?.Invoke(TrainingStepPhase.Loss);
        loss.Backward();
        phaseDone?.Invoke(TrainingStepPhase.Backward);
        GradientClipping.ClipGradNorm(namedParameters, clipNorm);
        phaseDone?.Invoke(TrainingStepPhase.Clip);
        optimizer.Step();
        phaseDone?.Invoke(TrainingStepPhase.Optimizer);
        return loss.ToScalar();
    }
}

namespace AutoClassify.Tensors;

/// <summary>
/// Collects every <see cref="Tensor"/> created on this thread while the scope is the innermost one, and
/// disposes them when the scope ends, so a training step cannot leak native memory:
/// <code>
/// using (var scope = DisposeScope.Begin())
/// {
///     var loss = Functional.CrossEntropy(model.Forward(x), y);
///     loss.Backward();
///     total += loss.ToSingle();
/// }
/// </code>
/// A tensor that must outlive the scope is moved out with <see cref="Keep(Tensor)"/> or
/// <see cref="Tensor.MoveToOuterScope"/>. Scopes nest; each belongs to the thread that began it, so do not
/// carry one across an <c>await</c>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    static DisposeScope? current;

    readonly HashSet<Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    readonly Lock gate = new();
    bool disposed;

    DisposeScope(DisposeScope? outer) => Outer = outer;

    /// <summary>The innermost open scope on the calling thread, or null.</summary>
    public static DisposeScope? Current
    {
        get
        {
            // A scope ended from another thread is still on this thread's stack; skip past it.
            while (current is { disposed: true })
                current = current.Outer;
            return current;
        }
    }

    /// <summary>The scope that was innermost when this one began.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>Tensors this scope will dispose.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return tensors.Count;
        }
    }

    /// <summary>Opens a scope nested in the current one.</summary>
    public static DisposeScope Begin()
    {
        var scope = new DisposeScope(Current);
        current = scope;
        return scope;
    }

    /// <summary>
    /// Moves the tensor out of this scope into the enclosing one (or, when there is none, to the caller,
    /// who must dispose it). Returns the tensor for chaining.
    /// </summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (ReferenceEquals(tensor.Scope, this))
            tensor.MoveTo(Outer);
        return tensor;
    }

    /// <summary>Moves several tensors out of this scope (see <see cref="Keep(Tensor)"/>).</summary>
    public void Keep(params ReadOnlySpan<Tensor> keep)
    {
        foreach (var tensor in keep)
            Keep(tensor);
    }

    /// <summary>Disposes every tensor still registered, and any scope begun inside this one and left open.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        // A nested scope left open (an exception skipped its using) ends with this one.
        if (IsOnThisThreadStack())
        {
            while (current is not null && !ReferenceEquals(current, this))
                current.Dispose();
            current = Outer;
        }
        disposed = true;
        Tensor[] owned;
        lock (gate)
        {
            owned = [.. tensors];
            tensors.Clear();
        }
        foreach (var tensor in owned)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
    }

    internal void Add(Tensor tensor)
    {
        lock (gate)
        {
            // A tensor moved into a scope that has already ended is disposed straight away.
            if (disposed)
            {
                tensor.Scope = null;
                tensor.Dispose();
                return;
            }
            tensors.Add(tensor);
            tensor.Scope = this;
        }
    }

    internal void Remove(Tensor tensor)
    {
        lock (gate)
        {
            tensors.Remove(tensor);
            tensor.Scope = null;
        }
    }

    bool IsOnThisThreadStack()
    {
        for (var scope = current; scope is not null; scope = scope.Outer)
        {
            if (ReferenceEquals(scope, this))
                return true;
        }
        return false;
    }
}

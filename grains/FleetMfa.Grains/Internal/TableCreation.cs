using Azure.Data.Tables;

namespace FleetMfa.Grains.Internal;

/// <summary>Creates a table the first time it is needed, once per process; a failed attempt is retried by the next call.</summary>
internal sealed class TableCreation(TableClient table)
{
    private volatile Task? _create;

    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        var create = _create;
        if (create is null || create.IsFaulted || create.IsCanceled)
        {
            create = _create = table.CreateIfNotExistsAsync(CancellationToken.None);
        }

        return create.WaitAsync(cancellationToken);
    }
}

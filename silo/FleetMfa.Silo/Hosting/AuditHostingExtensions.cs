using Azure.Data.Tables;
using FleetMfa.Grains.Audit;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Hosting;

public static class AuditHostingExtensions
{
    /// <summary>
    /// The audit trail in Azure Table storage (<see cref="StorageOptions.AuditTable"/>), written by device grains and the
    /// admin API; concurrent appends share writes (<see cref="GroupCommitAuditLog"/>).
    /// </summary>
    public static WebApplicationBuilder AddFleetAudit(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IAuditLog>(sp => new GroupCommitAuditLog(new AzureTableAuditLog(
            sp.GetRequiredService<TableServiceClient>().GetTableClient(sp.GetRequiredService<IOptions<StorageOptions>>().Value.AuditTable))));
        return builder;
    }
}

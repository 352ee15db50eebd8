namespace FleetMfa.Agent.Platform.Windows;

/// <summary>Set <see cref="Target"/> to <see cref="Value"/>, or delete it when <see cref="Value"/> is <c>null</c>.</summary>
public sealed record RegistryChange(RegistryValue Target, int? Value);

namespace FleetMfa.Agent.Enrollment;

public sealed class EnrollmentException : Exception
{
    public EnrollmentException()
    {
    }

    public EnrollmentException(string message)
        : base(message)
    {
    }

    public EnrollmentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

// The device agent lands with the agent issue (DESIGN §5); until then it only states that.
Console.Error.WriteLine("fleetmfa-agent: not built yet — see DESIGN §5 (enroll, run, verify, status).");
return 2;

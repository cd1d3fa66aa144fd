var app = WebApplication.CreateSlimBuilder(args).Build();
app.Run();

public partial class Program;

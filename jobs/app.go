package jobs

import "github.com/quarry-go/quarry/app"

// App is the job queue (River): it has no models, only River's tables;
// its page of failed jobs in the admin is jobsadmin.App.
var App = app.App{Label: "jobs"}

package blog

import (
	"context"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// connectSignals connects the tutorial's two receivers when the app is
// installed (Django's AppConfig.ready). They run in the sender's
// transaction: a failing one undoes the save or the delete.
func connectSignals() {
	auth.Users.PostSave.Connect(createProfile)
	Posts.PreDelete.Connect(logDeletion)
}

// createProfile gives every new user a Profile.
func createProfile(ctx context.Context, e orm.SaveEvent[auth.User]) error {
	if !e.Created {
		return nil
	}
	return Profiles.Objects().Create(ctx, &Profile{User: orm.FK[auth.User]{ID: e.Instance.ID}})
}

// logDeletion writes a DeletionLog row before a post is deleted, however
// it is deleted: one post, a queryset, or a cascade from its author.
func logDeletion(ctx context.Context, e orm.DeleteEvent[Post]) error {
	return DeletionLogs.Objects().Create(ctx, &DeletionLog{Model: "Post", ObjectID: e.Instance.ID, Title: e.Instance.Title})
}

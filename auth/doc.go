// Package auth is Quarry's Django contrib.auth: users, groups and
// permissions, argon2id password hashing, database sessions and throttled
// authentication, and the site's account pages (Accounts, with sessions
// and CSRF middleware for echo in web.go). It is what the admin builds on;
// it knows nothing of the apps.
//
// # Models
//
// User, Group, Permission, Session and LoginAttempt are ordinary orm models
// of the app "auth" (tables auth_user, auth_group, auth_permission,
// auth_session, auth_loginattempt, and the junctions auth_user_groups,
// auth_user_user_permissions, auth_group_permissions). Models lists them
// for orm.CreateTables and the migration generator.
//
// Quarry has no contenttypes app: a Permission's ContentType is the model's
// lower-cased label ("blog.post"), enough to build a perm string from an
// *orm.Meta without a join.
//
// # Django → Quarry
//
//	User.objects.get(username="a")             auth.Users.Objects().Get(ctx, orm.Q{"username": "a"})
//	User.objects.create_user(u, e, p)          auth.CreateUser(ctx, u, e, p)
//	User.objects.create_superuser(u, e, p)     auth.CreateSuperuser(ctx, u, e, p) (*orm.ValidationError on bad input)
//	user.set_password(raw)                     auth.SetPassword(u, raw); then auth.Users.Save(ctx, u)
//	validate_password(raw)                     auth.ValidatePassword(raw, user) (*PasswordError; nil when acceptable)
//	form.save(); update_session_auth_hash(…)   store.ChangePassword(ctx, u, raw, sess): validates, saves, ends u's other sessions, sess under a new key
//	manage.py changepassword                   store.ChangePassword(ctx, u, raw, nil): ends every session of u
//	user.check_password(raw)                   auth.CheckPassword(ctx, u, raw) (re-hashes and saves weaker hashes)
//	user.set_unusable_password()               auth.SetUnusablePassword(u)
//	user.has_usable_password()                 auth.HasUsablePassword(u)
//	make_password(raw)                         auth.MakePassword(raw)
//	user.get_full_name()                       u.FullName()
//	user.groups.add(g)                         u.Groups.Add(ctx, g)
//	user.user_permissions.add(p)               u.UserPermissions.Add(ctx, p)
//	group.permissions.add(p)                   g.Permissions.Add(ctx, p)
//	user.has_perm("blog.add_post")             auth.HasPerm(ctx, u, "blog.add_post")
//	user.has_perm(f"{app}.{action}_{model}")   auth.HasModelPerm(ctx, u, blog.Posts.Meta, "add")
//	user.has_module_perms("blog")              auth.HasModulePerms(ctx, u, "blog")
//	user.get_all_permissions()                 auth.AllPermissions(ctx, u)
//	create_permissions (post_migrate)          auth.SyncPermissions(ctx)
//	authenticate(request, username=, password=) auth.Authenticate(ctx, username, password, clientAddr)
//	django-axes style lockout settings         auth.Throttle{MaxFailures, Window, Lockout, …}; auth.DefaultThrottle
//	LoginView, LogoutView, signup              auth.Accounts{Store, Throttle, Secure}.Mount(e): /accounts/login/, logout/, signup/
//	PasswordChangeView (+ Done)                same Accounts: /accounts/password_change/ and done/; old password through the Throttle
//	PasswordResetView, …ConfirmView, …Complete same Accounts: /accounts/password_reset/ mails /accounts/reset/<token>/ (auth.RequestPasswordReset, Store.ResetPassword)
//	PasswordResetTokenGenerator                auth.PasswordReset rows: a random token, stored hashed, once, for ResetTimeout (3 days), void after a password change
//	login(request, user)                       store.Login(ctx, sess, u); then set auth.Cookie(sess, secure) and auth.RotateCSRF(c, secure)
//	rotate_token(request)                      auth.RotateCSRF(c, secure): a new csrftoken cookie, the old token refused
//	logout(request)                            store.Logout(ctx, sess); then set auth.Cookie(sess, secure)
//	request.session["k"] = v                   sess.Data["k"] = v; auth.StoreFrom(ctx).Save(ctx, sess)
//	SessionInterrupted                         auth.ErrSessionEnded from Save: a logout elsewhere deleted the row
//	request.session.cycle_key()                store.Rotate(ctx, sess)
//	request.user                               auth.SessionUser(ctx, sess)
//	SessionMiddleware                          store.Middleware(next) (net/http; loads, never saves); auth.SessionFrom(ctx)
//	SESSION_COOKIE_AGE / _SECURE / _HTTPONLY   auth.Store{Age}; auth.Cookie(sess, secure): HttpOnly, SameSite=Lax, Path=/
//	manage.py clearsessions                    store.Cleanup(ctx), which Login also runs hourly (Store.CleanupEvery); auth.DefaultThrottle.Cleanup(ctx) for old LoginAttempt rows
//
// # Choices made
//
//   - Passwords are argon2id in Django's encoding,
//     argon2$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash> (unpadded base64),
//     compared in constant time. The parameters travel with each hash, so
//     raising them upgrades old hashes at the next successful
//     CheckPassword. An empty password is stored unusable ("!" prefix) and
//     nothing ever matches it. Raw passwords are never logged; a struct
//     field of type Secret prints as a mask in every fmt verb, slog and JSON.
//   - Permissions are cached on the User instance after its first check
//     (one query: the user's own ∪ their groups'), as Django's
//     _perm_cache: a User is loaded per request, so a change shows on the
//     next request. ClearPermCache forgets the set sooner. An inactive user
//     has no permission and an active superuser every one, without a query.
//   - Authenticate returns ErrInvalidCredentials for an unknown username,
//     a wrong password and an inactive user alike, and hashes against a
//     dummy when the user is missing, so neither the message nor the
//     timing reveals which usernames exist. Failures are counted per
//     username (case-insensitive) and per client address in LoginAttempt
//     rows, so limits hold across processes: after SlowAfter failures each
//     attempt waits, at MaxFailures the key is locked for Lockout and
//     Authenticate returns a *ThrottledError (errors.Is ErrThrottled)
//     saying "Too many failed login attempts; try again in N minutes.".
//     A success clears the username's count but not the address's. The
//     caller passes the client address because only it knows which proxy
//     headers to trust.
//   - Sessions are JSON in auth_session with a random 256-bit base64url
//     key, expiring Age (two weeks) after their last Save. Load gives an
//     empty session, not an error, for an unknown or expired key. Login
//     rotates the key (against session fixation); Logout deletes the row.
//     A session does not record a hash of the password, as Django's do;
//     instead Store.ChangePassword deletes the user's other sessions in the
//     transaction that saves the password, which is what
//     update_session_auth_hash amounts to. A password set any other way
//     (SetPassword and Save) leaves the user's sessions alive.
package auth

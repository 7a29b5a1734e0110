package shop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// An order is confirmed by mail through a real SMTP server: the mail is
// queued with the order, so an order refused for want of stock mails
// nothing, and a customer without an address gets none.
func TestOrderConfirmedByMail(t *testing.T) {
	migrationstest.Each(t, []app.App{auth.App, admin.App, jobs.App, shop.App}, func(t *testing.T, ctx context.Context) {
		shop.OnOrderPlaced = shop.ConfirmByMail("Quarry Shop", "https://shop.example.com")
		defer func() { shop.OnOrderPlaced = nil }()

		cat := newCategory(t, ctx, "kitchen", nil)
		kettle := newProduct(t, ctx, cat, "Hearth Kettle", "49.50", "", 1)
		ann := newCustomer(t, ctx, "ann")
		u, _ := ann.User.Cached()
		u.Email, u.FirstName = "ann@example.com", "Ann"
		if err := auth.Users.Save(ctx, u); err != nil {
			t.Fatal(err)
		}
		addr := shop.Address{Name: "Ann Smith", Line1: "1 Quarry Lane", City: "Oslo", PostalCode: "0150", Country: "NO"}
		o, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{ProductID: kettle.ID, Quantity: 1}}, shop.Checkout{Key: uuid.New(), Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		// Out of stock now: refused, and nothing queued.
		if _, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{ProductID: kettle.ID, Quantity: 1}}, shop.Checkout{Address: addr}); err == nil {
			t.Fatal("a second kettle was sold")
		}
		// No address, no mail.
		bob := newCustomer(t, ctx, "bob")
		if _, err := shop.Products.Objects().Filter(orm.Q{"pk": kettle.ID}).Update(ctx, orm.Values{"stock": 5}); err != nil {
			t.Fatal(err)
		}
		if _, err := shop.PlaceOrder(ctx, bob, []shop.CartLine{{ProductID: kettle.ID, Quantity: 1}}, shop.Checkout{Address: addr}); err != nil {
			t.Fatal(err)
		}

		// The mail is worked only now, after every order was placed.
		smtp := smtptest.Deliver(t, ctx, "shop@example.com")
		got := smtp.Wait(t, 1, 20*time.Second)
		time.Sleep(300 * time.Millisecond)
		if got = smtp.Messages(); len(got) != 1 {
			t.Fatalf("%d mails, want 1", len(got))
		}
		m := got[0]
		if m.To[0] != "ann@example.com" || m.Subject != "Your order "+o.Reference+" at Quarry Shop" {
			t.Errorf("to %v, subject %q", m.To, m.Subject)
		}
		for _, want := range []string{"Hello Ann", o.Reference, "1 × Hearth Kettle", "$49.50", "1 Quarry Lane", "https://shop.example.com/orders/" + o.Reference + "/"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m.Text)
			}
		}
	})
}

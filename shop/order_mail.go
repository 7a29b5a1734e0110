package shop

import (
	"context"
	"fmt"
	"strings"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/mail"
	"github.com/quarry-go/quarry/orm"
)

// ConfirmByMail is an OnOrderPlaced that mails the customer their order's
// confirmation, enqueued in the order's transaction (package jobs): an
// order that rolls back sends nothing, and one that commits is confirmed
// even if the process dies right after. siteName signs the mail; siteURL
// ("https://shop.example.com", "" for none) starts its link to the order.
// A customer without an email address gets none.
func ConfirmByMail(siteName, siteURL string) func(ctx context.Context, o *Order) error {
	return func(ctx context.Context, o *Order) error {
		c, err := Customers.Objects().SelectRelated("user").Get(ctx, orm.Q{"pk": o.Customer.ID})
		if err != nil {
			return err
		}
		u, _ := c.User.Cached()
		if u == nil || u.Email == "" {
			return nil
		}
		s, err := OrderSummary(ctx, o)
		if err != nil {
			return err
		}
		return jobs.SendMail(ctx, confirmationMessage(u, s, siteName, siteURL))
	}
}

func confirmationMessage(u *auth.User, s *Summary, siteName, siteURL string) mail.Message {
	var b strings.Builder
	name := u.FirstName
	if name == "" {
		name = u.Username
	}
	fmt.Fprintf(&b, "Hello %s,\n\nThank you for your order %s, placed on %s.\n\n", name, s.Reference, s.PlacedAt.UTC().Format("2 January 2006"))
	for _, l := range s.Lines {
		fmt.Fprintf(&b, "  %d × %s  %s\n", l.Quantity, l.Product, l.LineTotalText)
	}
	fmt.Fprintf(&b, "\nTotal: %s\n\nIt will be shipped to:\n\n", s.TotalText)
	for _, line := range strings.Split(s.AddressText, "\n") {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if siteURL != "" {
		fmt.Fprintf(&b, "\nYour order: %s%s\n", strings.TrimSuffix(siteURL, "/"), s.URL)
	}
	fmt.Fprintf(&b, "\nThe %s team\n", siteName)
	return mail.Message{
		To:      []string{u.Email},
		Subject: fmt.Sprintf("Your order %s at %s", s.Reference, siteName),
		Text:    b.String(),
	}
}

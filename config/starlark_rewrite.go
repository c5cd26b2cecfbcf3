package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/syntax"
)

// guardSyntax rewrites a parsed Aurora file so that what can allocate or
// work much in one step goes through a guard built-in (starlark_limits.go):
//
//	x op y          → __borealis_binop(op, x, y)   (not and/or)
//	x op= y         → x op= __borealis_aug(op, x, y)
//	d[k] = v        → d[k] = __borealis_setitem(d, k, v)
//	x.name          → __borealis_attr(x, "name")
//	(a, b)          → __borealis_tuple(a, b)
//	x[i:j], [... for ...]
//	                → __borealis_new(...), and each for clause's iterable
//	                  and each f(*args) → __borealis_iter(...)
//	def f(*a, **k)  → a function that first checks a and k
//
// Expressions evaluate in the same order as before, and errors keep their
// positions (a guard call sits at the operator's position). It refuses a
// file that uses the guards' names, nests too deeply to compile safely, or
// updates (x op= y) an expression with a call in it, which would have to be
// evaluated twice.
func guardSyntax(f *syntax.File) []syntax.Error {
	r := &rewriter{}
	r.check(f)
	if len(r.errs) > 0 {
		return r.errs
	}
	f.Stmts = r.stmts(f.Stmts)
	return r.errs
}

type rewriter struct {
	errs []syntax.Error
}

func (r *rewriter) errorf(pos syntax.Position, format string, args ...any) {
	r.errs = append(r.errs, syntax.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// check refuses the guards' names and a syntax tree nested too deeply.
// syntax.Walk calls f(nil) after the children of a node f returned true
// for, so depth is tracked, and it does not descend past the limit.
func (r *rewriter) check(f *syntax.File) {
	depth, deep := 0, false
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			depth--
			return false
		}
		if depth >= maxSyntaxDepth {
			if !deep {
				start, _ := n.Span()
				r.errorf(start, "code nests more than %d levels deep (a very long chain of operators?)", maxSyntaxDepth)
				deep = true
			}
			return false
		}
		depth++
		if id, ok := n.(*syntax.Ident); ok && strings.HasPrefix(id.Name, guardPrefix) {
			r.errorf(id.NamePos, "names starting with %s are reserved", guardPrefix)
		}
		return true
	})
}

func (r *rewriter) stmts(stmts []syntax.Stmt) []syntax.Stmt {
	for i, s := range stmts {
		stmts[i] = r.stmt(s)
	}
	return stmts
}

func (r *rewriter) stmt(s syntax.Stmt) syntax.Stmt {
	switch s := s.(type) {
	case *syntax.ExprStmt:
		s.X = r.expr(s.X)
	case *syntax.AssignStmt:
		r.assign(s)
	case *syntax.DefStmt:
		checks := r.params(s.Params)
		s.Body = r.stmts(s.Body)
		var pre []syntax.Stmt
		for _, c := range checks {
			pre = append(pre, &syntax.AssignStmt{OpPos: c.pos, Op: syntax.EQ,
				LHS: &syntax.Ident{NamePos: c.pos, Name: c.name}, RHS: c.call()})
		}
		s.Body = append(pre, s.Body...)
	case *syntax.ForStmt:
		s.Vars = r.target(s.Vars)
		s.X = r.expr(s.X)
		s.Body = r.stmts(s.Body)
	case *syntax.WhileStmt:
		s.Cond = r.expr(s.Cond)
		s.Body = r.stmts(s.Body)
	case *syntax.IfStmt:
		s.Cond = r.expr(s.Cond)
		s.True = r.stmts(s.True)
		s.False = r.stmts(s.False)
	case *syntax.ReturnStmt:
		if s.Result != nil {
			s.Result = r.expr(s.Result)
		}
	}
	return s
}

func (r *rewriter) assign(s *syntax.AssignStmt) {
	if s.Op == syntax.EQ {
		rhs := r.expr(s.RHS)
		if ix, ok := unparen(s.LHS).(*syntax.IndexExpr); ok {
			x, ok1 := copyPure(ix.X)
			k, ok2 := copyPure(ix.Y)
			if ok1 && ok2 {
				rhs = guardCall(gSetItem, ix.Lbrack, ix.Rbrack, r.expr(x), r.expr(k), rhs)
			}
		}
		s.LHS = r.target(s.LHS)
		s.RHS = rhs
		return
	}
	x, ok := copyPure(s.LHS)
	if !ok {
		r.errorf(s.OpPos, "%s to an expression with a call in it is not supported in Aurora files; assign the call's result to a variable first", s.Op)
		return
	}
	_, end := s.RHS.Span()
	s.RHS = guardCall(gAug, s.OpPos, end, intLit(s.OpPos, int(s.Op)), r.expr(x), r.expr(s.RHS))
	s.LHS = r.target(s.LHS)
}

// target rewrites the expressions inside an assignment's target, not the
// target itself.
func (r *rewriter) target(e syntax.Expr) syntax.Expr {
	switch e := e.(type) {
	case *syntax.IndexExpr:
		e.X = r.expr(e.X)
		e.Y = r.expr(e.Y)
	case *syntax.DotExpr:
		e.X = r.expr(e.X)
	case *syntax.TupleExpr:
		for i := range e.List {
			e.List[i] = r.target(e.List[i])
		}
	case *syntax.ListExpr:
		for i := range e.List {
			e.List[i] = r.target(e.List[i])
		}
	case *syntax.ParenExpr:
		e.X = r.target(e.X)
	}
	return e
}

// paramCheck is the check of a *args or **kwargs parameter.
type paramCheck struct {
	pos  syntax.Position
	name string
	kind string
}

func (c paramCheck) call() syntax.Expr {
	return guardCall(gNew, c.pos, c.pos, &syntax.Ident{NamePos: c.pos, Name: c.name}, strLit(c.pos, c.kind))
}

// params rewrites default values and returns the checks of *args and
// **kwargs, which the call has just made.
func (r *rewriter) params(params []syntax.Expr) []paramCheck {
	var checks []paramCheck
	for _, p := range params {
		switch p := p.(type) {
		case *syntax.BinaryExpr: // name=default
			p.Y = r.expr(p.Y)
		case *syntax.UnaryExpr:
			if id, ok := p.X.(*syntax.Ident); ok {
				checks = append(checks, paramCheck{pos: id.NamePos, name: id.Name, kind: p.Op.String() + id.Name})
			}
		}
	}
	return checks
}

func (r *rewriter) exprs(es []syntax.Expr) {
	for i, e := range es {
		es[i] = r.expr(e)
	}
}

func (r *rewriter) expr(e syntax.Expr) syntax.Expr {
	switch e := e.(type) {
	case *syntax.ParenExpr:
		e.X = r.expr(e.X)
	case *syntax.UnaryExpr:
		if e.X != nil {
			e.X = r.expr(e.X)
		}
	case *syntax.BinaryExpr:
		e.X = r.expr(e.X)
		e.Y = r.expr(e.Y)
		if e.Op == syntax.AND || e.Op == syntax.OR {
			return e
		}
		_, end := e.Y.Span()
		return guardCall(gBinop, e.OpPos, end, intLit(e.OpPos, int(e.Op)), e.X, e.Y)
	case *syntax.CondExpr:
		e.Cond = r.expr(e.Cond)
		e.True = r.expr(e.True)
		e.False = r.expr(e.False)
	case *syntax.CallExpr:
		e.Fn = r.expr(e.Fn)
		for i, a := range e.Args {
			switch a := a.(type) {
			case *syntax.BinaryExpr:
				if a.Op == syntax.EQ { // name=value
					a.Y = r.expr(a.Y)
					continue
				}
			case *syntax.UnaryExpr:
				if a.Op == syntax.STAR || a.Op == syntax.STARSTAR {
					start, end := a.X.Span()
					a.X = guardCall(gIter, start, end, r.expr(a.X))
					continue
				}
			}
			e.Args[i] = r.expr(a)
		}
	case *syntax.DotExpr:
		return guardCall(gAttr, e.Dot, e.NamePos, r.expr(e.X), strLit(e.NamePos, e.Name.Name))
	case *syntax.IndexExpr:
		e.X = r.expr(e.X)
		e.Y = r.expr(e.Y)
	case *syntax.SliceExpr:
		e.X = r.expr(e.X)
		e.Lo = r.optExpr(e.Lo)
		e.Hi = r.optExpr(e.Hi)
		e.Step = r.optExpr(e.Step)
		return guardCall(gNew, e.Lbrack, e.Rbrack, e)
	case *syntax.ListExpr:
		r.exprs(e.List)
	case *syntax.TupleExpr:
		r.exprs(e.List)
		start, end := e.Span()
		return guardCall(gTuple, start, end, e.List...)
	case *syntax.DictExpr:
		for _, entry := range e.List {
			if de, ok := entry.(*syntax.DictEntry); ok {
				de.Key = r.expr(de.Key)
				de.Value = r.expr(de.Value)
			}
		}
	case *syntax.Comprehension:
		if de, ok := e.Body.(*syntax.DictEntry); ok {
			de.Key = r.expr(de.Key)
			de.Value = r.expr(de.Value)
		} else {
			e.Body = r.expr(e.Body)
		}
		for _, c := range e.Clauses {
			switch c := c.(type) {
			case *syntax.ForClause:
				c.Vars = r.target(c.Vars)
				start, end := c.X.Span()
				c.X = guardCall(gIter, start, end, r.expr(c.X))
			case *syntax.IfClause:
				c.Cond = r.expr(c.Cond)
			}
		}
		return guardCall(gNew, e.Lbrack, e.Rbrack, e)
	case *syntax.LambdaExpr:
		checks := r.params(e.Params)
		e.Body = r.expr(e.Body)
		for _, c := range checks {
			_, end := e.Body.Span()
			e.Body = guardCall(gAfter, c.pos, end, c.call(), e.Body)
		}
	}
	return e
}

func (r *rewriter) optExpr(e syntax.Expr) syntax.Expr {
	if e == nil {
		return nil
	}
	return r.expr(e)
}

// guardCall is name(args...), a call of a guard built-in at pos.
func guardCall(name string, pos, end syntax.Position, args ...syntax.Expr) *syntax.CallExpr {
	return &syntax.CallExpr{Fn: &syntax.Ident{NamePos: pos, Name: name}, Lparen: pos, Args: args, Rparen: end}
}

func intLit(pos syntax.Position, i int) *syntax.Literal {
	return &syntax.Literal{Token: syntax.INT, TokenPos: pos, Raw: strconv.Itoa(i), Value: int64(i)}
}

func strLit(pos syntax.Position, s string) *syntax.Literal {
	return &syntax.Literal{Token: syntax.STRING, TokenPos: pos, Raw: strconv.Quote(s), Value: s}
}

func unparen(e syntax.Expr) syntax.Expr {
	for {
		p, ok := e.(*syntax.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// copyPure copies e when evaluating it twice does the same as once: names,
// literals, attributes, indexes and operators, no calls.
func copyPure(e syntax.Expr) (syntax.Expr, bool) {
	switch e := e.(type) {
	case *syntax.Ident:
		return &syntax.Ident{NamePos: e.NamePos, Name: e.Name}, true
	case *syntax.Literal:
		c := *e
		return &c, true
	case *syntax.ParenExpr:
		x, ok := copyPure(e.X)
		return &syntax.ParenExpr{Lparen: e.Lparen, X: x, Rparen: e.Rparen}, ok
	case *syntax.DotExpr:
		x, ok := copyPure(e.X)
		return &syntax.DotExpr{X: x, Dot: e.Dot, NamePos: e.NamePos, Name: &syntax.Ident{NamePos: e.Name.NamePos, Name: e.Name.Name}}, ok
	case *syntax.IndexExpr:
		x, ok1 := copyPure(e.X)
		y, ok2 := copyPure(e.Y)
		return &syntax.IndexExpr{X: x, Lbrack: e.Lbrack, Y: y, Rbrack: e.Rbrack}, ok1 && ok2
	case *syntax.UnaryExpr:
		if e.X == nil {
			return nil, false
		}
		x, ok := copyPure(e.X)
		return &syntax.UnaryExpr{OpPos: e.OpPos, Op: e.Op, X: x}, ok
	case *syntax.BinaryExpr:
		x, ok1 := copyPure(e.X)
		y, ok2 := copyPure(e.Y)
		return &syntax.BinaryExpr{X: x, OpPos: e.OpPos, Op: e.Op, Y: y}, ok1 && ok2
	case *syntax.TupleExpr:
		c := &syntax.TupleExpr{Lparen: e.Lparen, Rparen: e.Rparen}
		for _, x := range e.List {
			xc, ok := copyPure(x)
			if !ok {
				return nil, false
			}
			c.List = append(c.List, xc)
		}
		return c, true
	}
	return nil, false
}
